/**
 * The one table of characters that are never passed on as they are: control characters, which a
 * provider may choke on, XML cannot hold or a terminal may act on, and the bidirectional overrides and
 * isolates, which make text display in an order other than the one sent ("Trojan Source"). Each use
 * picks its ranges and the whitespace it keeps: the manifest rules refuse them
 * (node/manifest/characters.ts), the markup escaper drops them (activities/outputs/escape.ts), the
 * terminal printer shows them escaped (client/terminal-text.ts).
 */

/** The named ranges, inclusive. */
export const UNSAFE_RANGES = {
  c0: [0x00, 0x1f],
  del: [0x7f, 0x7f],
  c1: [0x80, 0x9f],
  bidiEmbeddings: [0x202a, 0x202e],
  bidiIsolates: [0x2066, 0x2069],
} as const satisfies Record<string, readonly [number, number]>;
export type UnsafeRange = keyof typeof UNSAFE_RANGES;

export const ALL_UNSAFE_RANGES = Object.keys(UNSAFE_RANGES) as UnsafeRange[];

/** C0 characters that are ordinary whitespace in text; each use says which of them it keeps. */
export const TAB = 0x09;
export const LF = 0x0a;
export const CR = 0x0d;

const C0_NAMES = [
  'NUL',
  'SOH',
  'STX',
  'ETX',
  'EOT',
  'ENQ',
  'ACK',
  'BEL',
  'BS',
  'TAB',
  'LF',
  'VT',
  'FF',
  'CR',
  'SO',
  'SI',
  'DLE',
  'DC1',
  'DC2',
  'DC3',
  'DC4',
  'NAK',
  'SYN',
  'ETB',
  'CAN',
  'EM',
  'SUB',
  'ESC',
  'FS',
  'GS',
  'RS',
  'US',
];

const BIDI_NAMES: Record<number, string> = {
  0x202a: 'left-to-right embedding',
  0x202b: 'right-to-left embedding',
  0x202c: 'pop directional formatting',
  0x202d: 'left-to-right override',
  0x202e: 'right-to-left override',
  0x2066: 'left-to-right isolate',
  0x2067: 'right-to-left isolate',
  0x2068: 'first strong isolate',
  0x2069: 'pop directional isolate',
};

/** What an unsafe character is, for a message (`control character ESC`); `undefined` for any other. */
export function unsafeCharacterName(code: number): string | undefined {
  const [range] = ALL_UNSAFE_RANGES.filter((name) => code >= UNSAFE_RANGES[name][0] && code <= UNSAFE_RANGES[name][1]);
  switch (range) {
    case 'c0':
      return `control character ${C0_NAMES[code]}`;
    case 'del':
      return 'control character DEL';
    case 'c1':
      return 'C1 control character';
    case 'bidiEmbeddings':
    case 'bidiIsolates':
      return BIDI_NAMES[code];
    default:
      return undefined;
  }
}

/** `U+202A`: how people write a code point. */
export function codePointLabel(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** `U+202A–U+202E`: a range as people write it. */
export function rangeLabel(range: UnsafeRange): string {
  const [from, to] = UNSAFE_RANGES[range];
  return from === to ? codePointLabel(from) : `${codePointLabel(from)}–${codePointLabel(to)}`;
}

const escaped = (code: number): string => `\\u${code.toString(16).padStart(4, '0')}`;

/**
 * The body of a regular-expression character class (for `[…]`) matching the characters of `ranges`
 * except `keep`, as `\uXXXX` escapes so it works with and without the `u` flag.
 */
export function unsafeCharacterClass(ranges: readonly UnsafeRange[], keep: readonly number[] = []): string {
  const parts: string[] = [];
  for (const name of ranges) {
    const [from, to] = UNSAFE_RANGES[name];
    let start: number | undefined;
    for (let code = from; code <= to + 1; code++) {
      const inside = code <= to && !keep.includes(code);
      if (inside && start === undefined) start = code;
      if (!inside && start !== undefined) {
        parts.push(start === code - 1 ? escaped(start) : `${escaped(start)}-${escaped(code - 1)}`);
        start = undefined;
      }
    }
  }
  return parts.join('');
}
