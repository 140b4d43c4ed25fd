/**
 * Characters no XML 1.0 document may contain, plus the discouraged C1 range and DEL: C0 controls other
 * than tab, newline and CR, U+007F–U+009F, lone surrogates, U+FFFE and U+FFFF. One of them in an SVG
 * makes librsvg reject the whole image, and provider error text can carry any of them. Also the
 * bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069): text read by OCR or sent by a
 * provider could use them to show a caption in another order than it is. All but the surrogates and
 * U+FFFE/U+FFFF (XML's own rule) come from shared/unsafe-characters.ts.
 */
import { ALL_UNSAFE_RANGES, CR, LF, TAB, unsafeCharacterClass } from '../../shared/unsafe-characters.js';

const NOT_XML_TEXT = new RegExp(
  `[${unsafeCharacterClass(ALL_UNSAFE_RANGES, [TAB, LF, CR])}\\ufffe\\uffff]|[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]`,
  'g'
);

/** `text` without the characters XML (and so SVG) cannot hold or that reorder it; everything else is kept. */
function stripControls(text: string): string {
  return text.replace(NOT_XML_TEXT, '');
}

/**
 * Escapes text for HTML and SVG (XML) content and attribute values alike; characters XML cannot hold
 * (control characters from provider errors, say) are dropped.
 */
export function escapeMarkup(text: unknown): string {
  return stripControls(String(text))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
