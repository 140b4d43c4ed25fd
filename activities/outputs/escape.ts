/* eslint-disable no-control-regex -- control characters are what this file is about */
/**
 * Characters no XML 1.0 document may contain, plus the discouraged C1 range and DEL: C0 controls other
 * than tab, newline and CR, U+007F–U+009F, lone surrogates, U+FFFE and U+FFFF. One of them in an SVG
 * makes librsvg reject the whole image, and provider error text can carry any of them. Also the
 * bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069): text read by OCR or sent by a
 * provider could use them to show a caption in another order than it is.
 */
const NOT_XML_TEXT =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

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
