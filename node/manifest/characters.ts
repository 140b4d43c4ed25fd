/**
 * Characters refused in ids, prompts and metadata: control characters, which a provider may choke on
 * or a terminal may act on, and the bidirectional overrides and isolates, which make text display in
 * an order other than the one sent (a prompt that reads harmless on screen but is not). Tab and line
 * breaks are ordinary whitespace in prompts and metadata values (a quoted CSV cell may span lines).
 * The characters and their names are shared/unsafe-characters.ts's table.
 */
import { CR, LF, TAB, codePointLabel, rangeLabel, unsafeCharacterName } from '../../shared/unsafe-characters.js';

/** What a refused character is; `undefined` for an accepted one. */
function refusedName(code: number, allowWhitespace: boolean): string | undefined {
  if (allowWhitespace && (code === TAB || code === LF || code === CR)) return undefined;
  return unsafeCharacterName(code);
}

const BIDI = `${rangeLabel('bidiEmbeddings')}, ${rangeLabel('bidiIsolates')}`;

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
    ? `control characters other than tab and line breaks, and bidirectional overrides/isolates (${BIDI}), are not accepted`
    : `control characters and bidirectional overrides/isolates (${BIDI}) are not accepted`;
  return `${what} contains ${codePointLabel(first.code)} (${first.name}) at column ${first.column} of the ${what}${more} — ${accepted}; delete it`;
}
