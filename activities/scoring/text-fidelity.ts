/**
 * How faithfully an image spells the text its prompt asked for, from what OCR read in it: 1 −
 * a normalised word-level edit distance, in [0, 1]. Pure; see docs/text-check.md.
 *
 * Normalisation (`textWords`), applied to both sides:
 *  1. Unicode NFKD, then combining marks removed (é → e) and the text lower-cased;
 *  2. apostrophes (' ’ ʼ) removed inside words (DON'T → dont);
 *  3. every other character that is not a letter or a digit (punctuation, symbols, emoji) becomes
 *     a space;
 *  4. split on whitespace; empty words dropped.
 * So "WORTH IT?!" and "worth it" are the same two words, and case and punctuation never count.
 *
 * Distance (`textDistance`): the cheapest alignment of the requested words, in order, onto the
 * read words, where
 *  - a requested word matched with a read word costs their character edit distance divided by the
 *    longer word's length (0 identical … 1 nothing in common), so FOUND/FUOND costs 0.4; above
 *    0.5 it costs 1 (more than half wrong is not that word: no partial credit for OCR noise);
 *  - OCR spacing slips are not spelling mistakes: two requested words may match one read word
 *    (WE QUIT / wequit) and one requested word two read words (FOUND / fo und), at the character
 *    distance of the joined words (counted once per requested word), but only when that is at most
 *    0.2 — otherwise "I FOUND" read as "ifound" would hide a missing word;
 *  - a requested word missing from the read text costs 1;
 *  - read words not matched cost nothing: OCR reads the whole image, and other marks (a logo, the
 *    subject's eyes read as "o o") are not the requested text.
 * The distance is that cost divided by the number of requested words, capped at 1; fidelity is
 * 1 − distance. Nothing requested → fidelity 1 (nothing to get wrong).
 */
import { editDistance } from '../../shared/edit-distance.js';

/** The words of `text` after the normalisation above. */
export function textWords(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/(?<=[\p{L}\p{N}])['’ʼ](?=[\p{L}\p{N}])/gu, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .split(' ')
    .filter(Boolean);
}

/**
 * Character edit distance of two words divided by the longer length (0 identical, 1 disjoint);
 * more than half wrong counts as not that word at all (1), so OCR noise from the rest of the
 * image ("ee", "oa") earns no partial credit.
 */
function wordCost(a: string, b: string): number {
  const longest = Math.max([...a].length, [...b].length);
  const d = longest ? editDistance(a, b) / longest : 0;
  return d > 0.5 ? 1 : d;
}

/** A spacing slip is taken only for a close match, so a dropped word cannot hide in a join. */
const SLIP = 0.2;

/** The normalised word-level distance in [0, 1] (see the module comment). */
export function textDistance(requested: string, read: string): number {
  const want = textWords(requested);
  const got = textWords(read);
  const n = want.length;
  const m = got.length;
  if (!n) return 0;
  // best[i][j]: cheapest cost of the first i requested words using read words before j
  // (read words may be skipped for free).
  const best: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(Infinity));
  for (let j = 0; j <= m; j++) (best[0] as number[])[j] = 0;
  for (let i = 0; i <= n; i++) {
    const row = best[i] as number[];
    for (let j = 0; j <= m; j++) {
      const here = row[j] as number;
      if (here === Infinity) continue;
      const relax = (di: number, dj: number, cost: number) => {
        const next = best[i + di] as number[];
        if (here + cost < (next[j + dj] as number)) next[j + dj] = here + cost;
      };
      if (j < m) relax(0, 1, 0); // skip a read word
      if (i < n) {
        relax(1, 0, 1); // requested word missing
        const w = want[i] as string;
        if (j < m) relax(1, 1, wordCost(w, got[j] as string));
        if (j + 1 < m) {
          const split = wordCost(w, (got[j] as string) + (got[j + 1] as string));
          if (split <= SLIP) relax(1, 2, split);
        }
        if (i + 1 < n && j < m) {
          const merged = wordCost(w + (want[i + 1] as string), got[j] as string);
          if (merged <= SLIP) relax(2, 1, 2 * merged);
        }
      }
    }
  }
  return Math.min(1, ((best[n] as number[])[m] as number) / n);
}

/** 1 − textDistance: 1 when the read text contains the requested words, spelt right, in order. */
export function textFidelity(requested: string, read: string): number {
  return 1 - textDistance(requested, read);
}
