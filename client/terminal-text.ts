/**
 * The one sanitiser for text the CLI prints to a terminal. Failure reasons and messages can come from
 * a provider (an HTTP body, a request id), and a terminal obeys what it is sent: an ANSI escape
 * sequence can recolour, move the cursor, retitle the window or hide a line, a bare CR overwrites
 * what was printed. Every print path (`Output.result`'s text, `note`, `error`, the progress line) goes
 * through {@link forTerminal}; `--json` output through {@link jsonForTerminal}. The characters are
 * shared/unsafe-characters.ts's table.
 */
import { ALL_UNSAFE_RANGES, LF, TAB, unsafeCharacterClass } from '../shared/unsafe-characters.js';

// CSI (ESC [ … final byte), OSC/DCS/SOS/PM/APC strings (… BEL or ESC \), and two-byte escapes; the
// 8-bit C1 forms (U+009B CSI, U+009D OSC …) too.
const ANSI_SEQUENCE =
  // eslint-disable-next-line no-control-regex
  /(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]|(?:\u001b[\]PX^_]|[\u0090\u0098\u009d-\u009f])[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|\u001b[\u0020-\u007e]?/g;

// Every other C0 control but tab and newline, DEL, the C1 controls, and the bidirectional overrides
// that can make a terminal show text in another order than it is ("Trojan Source").
const CONTROL = new RegExp(`[${unsafeCharacterClass(ALL_UNSAFE_RANGES, [TAB, LF])}]`, 'g');

/** `text` with escape sequences removed and any other control character shown as `\xNN` / `\uNNNN`. */
export function forTerminal(text: string): string {
  return text.replace(ANSI_SEQUENCE, '').replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

// What JSON.stringify leaves raw that a terminal still obeys: DEL, the C1 controls (U+009B starts an
// escape sequence on many terminals) and the bidirectional overrides.
const JSON_RAW_CONTROL = new RegExp(`[${unsafeCharacterClass(['del', 'c1', 'bidiEmbeddings', 'bidiIsolates'])}]`, 'g');

/**
 * `value` as indented JSON safe to print on a terminal: the same JSON, with the controls JSON leaves
 * raw written as \uNNNN escapes, so it parses back to exactly `value`.
 */
export function jsonForTerminal(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    JSON_RAW_CONTROL,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
  );
}
