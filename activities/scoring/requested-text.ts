/**
 * The text a prompt asks to see in the image: whatever it puts in quotes — `text 'I FOUND IT'`,
 * `"WORTH IT?"`, `“10 MINUTE PASTA”`, `‘…’`, `«…»`. Several quotes are joined by a space.
 * Apostrophes are not quotes: a single quote, straight or curly (’), closes only before a
 * non-letter, and inside straight quotes an apostrophe stands only between letters, so
 * `'DON'T BUY THIS'`, `‘DON’T BUY THIS’` and `retro '80s style, text 'RETRO'` ask for DON'T BUY THIS,
 * DON’T BUY THIS and RETRO, and `it's` asks for nothing. A double quote after a digit is an inch
 * mark (`a 12" pizza, text "YUM"`).
 *
 * The OCR data is English (`@tesseract.js-data/eng`): it reads the Latin alphabet, digits and
 * common punctuation. Text in any other script (Devanagari, CJK, Cyrillic …) or with emoji is
 * reported as not measurable, so it is never scored — and never penalised — by an OCR that cannot
 * read it. Accented Latin letters count as their base letter (é → e), as the fidelity does.
 */

export type RequestedText = { text: string; measurable: true } | { text: string; measurable: false; reason: string };

export const SCRIPT_NOT_COVERED = 'script not covered by the OCR data (e.g. Devanagari)';

const QUOTED =
  /(?<!\p{N})"([^"]+)"|“([^”]+)”|‘(.+?)’(?![\p{L}\p{N}])|«([^»]+)»|(?:^|(?<=[^\p{L}\p{N}]))'((?:[^']|(?<=[\p{L}\p{N}])'(?=[\p{L}\p{N}]))+?)'(?![\p{L}\p{N}])/gu;

/** Letters, digits, whitespace and the punctuation the English data reads, after folding accents. */
const COVERED = /^[A-Za-z0-9\s!"#$%&'()*+,\-./:;<=>?@[\]_{|}~‘’“”–—…]*$/u;

export function requestedText(prompt: string): RequestedText | undefined {
  const found: string[] = [];
  for (const m of prompt.matchAll(QUOTED)) {
    const text = (m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5] ?? '').trim();
    // Quotes around nothing readable ('…', "!!") ask for no words.
    if (/[\p{L}\p{N}]/u.test(text)) found.push(text);
  }
  if (!found.length) return undefined;
  const text = found.join(' ');
  const folded = text.normalize('NFKD').replace(/\p{M}/gu, '');
  return COVERED.test(folded) ? { text, measurable: true } : { text, measurable: false, reason: SCRIPT_NOT_COVERED };
}
