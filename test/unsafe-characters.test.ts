/**
 * shared/unsafe-characters.ts is the one table of unsafe characters: every use (manifest refusal,
 * markup escaping, terminal printing, JSON for the terminal) must act on exactly its characters, less
 * the whitespace that use keeps, so a range added to or taken from the table changes all of them.
 */
import { escapeMarkup } from '../activities/outputs/escape.js';
import { forTerminal, jsonForTerminal } from '../client/terminal-text.js';
import { refusedCharacterMessage } from '../node/manifest/characters.js';
import { CR, LF, TAB, unsafeCharacterName } from '../shared/unsafe-characters.js';

// Every BMP character but the surrogates (a lone one is XML's concern only, see escape.ts).
const characters = Array.from({ length: 0x10000 }, (_, code) => code).filter((c) => c < 0xd800 || c > 0xdfff);
const inTable = (code: number): boolean => unsafeCharacterName(code) !== undefined;
const label = (codes: number[]): string[] => codes.map((c) => `U+${c.toString(16).padStart(4, '0')}`);

test('the table names the C0 and C1 controls, DEL and the bidirectional overrides and isolates, and nothing else', () => {
  expect(unsafeCharacterName(0x1b)).toBe('control character ESC');
  expect(unsafeCharacterName(0x7f)).toBe('control character DEL');
  expect(unsafeCharacterName(0x9b)).toBe('C1 control character');
  expect(unsafeCharacterName(0x202e)).toBe('right-to-left override');
  expect(unsafeCharacterName(0x2069)).toBe('pop directional isolate');
  expect(characters.filter(inTable)).toHaveLength(32 + 1 + 32 + 5 + 4);
});

test('manifests refuse exactly the table, less tab and line breaks where whitespace is allowed', () => {
  const refused = (allow: boolean) =>
    characters.filter((c) => refusedCharacterMessage(String.fromCharCode(c), 'prompt', allow) !== undefined);
  expect(label(refused(false))).toEqual(label(characters.filter(inTable)));
  expect(label(refused(true))).toEqual(label(characters.filter((c) => inTable(c) && ![TAB, LF, CR].includes(c))));
});

test('markup drops exactly the table less tab and line breaks, plus the XML non-characters U+FFFE and U+FFFF', () => {
  const dropped = characters.filter((c) => escapeMarkup(String.fromCharCode(c)) === '');
  const expected = characters.filter((c) => (inTable(c) && ![TAB, LF, CR].includes(c)) || c === 0xfffe || c === 0xffff);
  expect(label(dropped)).toEqual(label(expected));
});

test('the terminal never prints a table character raw but tab and newline; JSON for it keeps every value', () => {
  const changed = characters.filter((c) => forTerminal(String.fromCharCode(c)) !== String.fromCharCode(c));
  expect(label(changed)).toEqual(label(characters.filter((c) => inTable(c) && ![TAB, LF].includes(c))));
  const all = String.fromCharCode(...characters.filter(inTable));
  const json = jsonForTerminal({ all });
  expect(JSON.parse(json)).toEqual({ all });
  expect(label([...json].map((ch) => ch.charCodeAt(0)).filter((c) => inTable(c) && c !== LF))).toEqual([]);
});
