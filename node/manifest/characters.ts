/**
 * Characters refused in ids, prompts and metadata: control characters, which a provider may choke on
 * or a terminal may act on, and the bidirectional overrides and isolates, which make text display in
 * an order other than the one sent (a prompt that reads harmless on screen but is not). Tab and line
 * breaks are ordinary whitespace in prompts and metadata values (a quoted CSV cell may span lines).
 */

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

/** U+XXXX and what it is, for a refused character; `undefined` for an accepted one. */
function refusedName(code: number, allowWhitespace: boolean): string | undefined {
  if (code < 0x20) {
    if (allowWhitespace && (code === 0x09 || code === 0x0a || code === 0x0d)) return undefined;
    return `control character ${C0_NAMES[code]}`;
  }
  if (code === 0x7f) return 'control character DEL';
  if (code >= 0x80 && code <= 0x9f) return 'C1 control character';
  return BIDI_NAMES[code];
}

const u = (code: number): string => `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * The message for the first refused character in `value` (what it is, where: 1-based column within the
 * value, and how many more there are), or `undefined`. `what` names the value: "prompt", "metadata key".
 */
export function refusedCharacterMessage(value: string, what: string, allowWhitespace: boolean): string | undefined {
  let first: { code: number; name: string; column: number } | undefined;
  let count = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    const name = refusedName(code, allowWhitespace);
    if (name === undefined) continue;
    count++;
    first ??= { code, name, column: i + 1 };
  }
  if (!first) return undefined;
  const more = count > 1 ? ` (and ${count - 1} more)` : '';
  const accepted = allowWhitespace
    ? 'control characters other than tab and line breaks, and bidirectional overrides/isolates (U+202A–U+202E, U+2066–U+2069), are not accepted'
    : 'control characters and bidirectional overrides/isolates (U+202A–U+202E, U+2066–U+2069) are not accepted';
  return `${what} contains ${u(first.code)} (${first.name}) at column ${first.column} of the ${what}${more} — ${accepted}; delete it`;
}
