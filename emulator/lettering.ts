/**
 * Lettering for the emulator's thumbnails. A prompt that asks for text in quotes
 * (`text 'I FOUND IT'`, `"WORTH IT?"`, `“…”`) gets that text drawn on the title plate — in a
 * built-in stroke font (SVG paths), so the pixels do not depend on the machine's fonts — and,
 * like a cheap diffusion model, draft models misspell it on a seeded fraction of images. The
 * emulator keeps its own quote parsing: it imitates the provider and imports nothing from the
 * client.
 */
import { hashSeed, mulberry32 } from './prng.js';
import { DRAFT_MODELS } from './quality.js';
import type { EmulatedModel } from './models.js';

/** Share of draft images whose lettering is misspelt. Pro models always spell it right. */
export const DRAFT_GARBLE_RATE = 0.4;

// Apostrophes are not quotes: a single quote (straight or ’) closes only before a non-letter, a
// straight one opens only after one and holds apostrophes only between letters (DON'T, '80s, it's);
// a double quote after a digit is an inch mark (12").
const QUOTED =
  /(?<!\p{N})"([^"]+)"|“([^”]+)”|‘(.+?)’(?![\p{L}\p{N}])|«([^»]+)»|(?:^|(?<=[^\p{L}\p{N}]))'((?:[^']|(?<=[\p{L}\p{N}])'(?=[\p{L}\p{N}]))+?)'(?![\p{L}\p{N}])/gu;

/** The quoted text a prompt asks for (several quotes joined by a space), or undefined. */
export function quotedText(prompt: string): string | undefined {
  const found: string[] = [];
  for (const m of prompt.matchAll(QUOTED)) {
    const text = (m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5] ?? '').trim();
    if (text) found.push(text);
  }
  return found.length ? found.join(' ') : undefined;
}

/**
 * What the model paints for the requested text: upper-cased (thumbnail lettering), misspelt on
 * `garbleRate` (default `DRAFT_GARBLE_RATE`) of draft images — every word of two or more letters gets about one edit
 * per two letters (swap, drop, wrong letter; a one-letter word is replaced half the time), deterministic in (model, prompt, seed).
 */
export function paintedText(
  model: EmulatedModel,
  prompt: string,
  seed: number,
  garbleRate: number = DRAFT_GARBLE_RATE
): string | undefined {
  const text = quotedText(prompt);
  if (text === undefined) return undefined;
  const upper = text.toUpperCase();
  if (!DRAFT_MODELS.has(model)) return upper;
  const rand = mulberry32(hashSeed('lettering', model, prompt, seed));
  if (rand() >= garbleRate) return upper;
  return upper
    .split(' ')
    .map((word) => garbleWord(word, rand))
    .join(' ');
}

const WRONG = 'AEKMNRSTVXZ';

function garbleWord(word: string, rand: () => number): string {
  const chars = [...word];
  const letters = chars.filter((c) => /\p{L}/u.test(c)).length;
  if (letters < 2) return letters === 1 && rand() < 0.5 ? word.replace(/\p{L}/u, 'X') : word;
  const edits = Math.max(1, Math.round(letters * 0.45));
  for (let e = 0; e < edits; e++) {
    const i = Math.floor(rand() * chars.length);
    const op = rand();
    if (op < 0.35 && i + 1 < chars.length) {
      [chars[i], chars[i + 1]] = [chars[i + 1] as string, chars[i] as string];
      if (chars[i] === chars[i + 1]) chars[i] = WRONG[Math.floor(rand() * WRONG.length)] as string;
    } else if (op < 0.6 && chars.length > 2) {
      chars.splice(i, 1);
    } else {
      let c = WRONG[Math.floor(rand() * WRONG.length)] as string;
      if (c === chars[i]) c = c === 'Z' ? 'K' : 'Z';
      chars[i] = c;
    }
  }
  const out = chars.join('');
  // Two swaps can cancel out; a misspelt word is always misspelt.
  return out === word ? `${word.slice(0, -1)}${word.endsWith('X') ? 'K' : 'X'}` : out;
}

/*
 * The stroke font: each glyph is an SVG path on a grid with the cap height 10 units tall
 * (y = 0 at the cap line, 10 on the baseline) and `w` units wide, drawn with round caps and joins.
 * Dots are short strokes. A plain geometric sans, which OCR reads well when large.
 */
interface Glyph {
  w: number;
  d: string;
}

const O = 'M3,0 C1,0 0,2 0,5 C0,8 1,10 3,10 C5,10 6,8 6,5 C6,2 5,0 3,0 Z';
const P = 'M0,10 L0,0 L3.5,0 C5.2,0 6,1 6,2.75 C6,4.5 5.2,5.5 3.5,5.5 L0,5.5';
const S =
  'M5.8,1.5 C5,0.4 4,0 3,0 C1.3,0 0.2,1 0.2,2.6 C0.2,4.3 1.6,4.8 3,5 C4.6,5.2 6,5.8 6,7.5 ' +
  'C6,9.1 4.8,10 3,10 C1.8,10 0.7,9.5 0,8.4';

const GLYPHS: Readonly<Record<string, Glyph>> = {
  A: { w: 6.4, d: 'M0,10 L3.2,0 L6.4,10 M1.2,6.6 L5.2,6.6' },
  B: {
    w: 6,
    d: 'M0,10 L0,0 L3.3,0 C5,0 5.7,1 5.7,2.5 C5.7,4 5,4.9 3.3,4.9 L0,4.9 M3.3,4.9 C5.2,4.9 6,6 6,7.5 C6,9 5.2,10 3.3,10 L0,10',
  },
  C: { w: 6, d: 'M6,1.8 C5.2,0.5 4.2,0 3.1,0 C1.1,0 0,2 0,5 C0,8 1.1,10 3.1,10 C4.2,10 5.2,9.5 6,8.2' },
  D: { w: 6, d: 'M0,0 L0,10 L2.6,10 C5,10 6,8 6,5 C6,2 5,0 2.6,0 Z' },
  E: { w: 5.4, d: 'M5.4,0 L0,0 L0,10 L5.4,10 M0,4.9 L4.4,4.9' },
  F: { w: 5.4, d: 'M5.4,0 L0,0 L0,10 M0,4.9 L4.4,4.9' },
  G: {
    w: 6.2,
    d: 'M6,1.8 C5.2,0.5 4.2,0 3.1,0 C1.1,0 0,2 0,5 C0,8 1.1,10 3.1,10 C5,10 6.2,8.8 6.2,7 L6.2,5.6 L3.6,5.6',
  },
  H: { w: 6, d: 'M0,0 L0,10 M6,0 L6,10 M0,4.9 L6,4.9' },
  I: { w: 3.6, d: 'M1.8,0 L1.8,10 M0,0 L3.6,0 M0,10 L3.6,10' },
  J: { w: 5, d: 'M5,0 L5,7 C5,9 4,10 2.5,10 C1,10 0,9 0,7.5' },
  K: { w: 6, d: 'M0,0 L0,10 M6,0 L0,6.2 M2.2,4 L6,10' },
  L: { w: 5.2, d: 'M0,0 L0,10 L5.2,10' },
  M: { w: 7.4, d: 'M0,10 L0,0 L3.7,7 L7.4,0 L7.4,10' },
  N: { w: 6, d: 'M0,10 L0,0 L6,10 L6,0' },
  O: { w: 6, d: O },
  P: { w: 6, d: P },
  Q: { w: 6.4, d: `${O} M3.6,7 L6.4,10.4` },
  R: { w: 6, d: `${P} M3.2,5.5 L6,10` },
  S: { w: 6, d: S },
  T: { w: 6.4, d: 'M0,0 L6.4,0 M3.2,0 L3.2,10' },
  U: { w: 6, d: 'M0,0 L0,7 C0,9 1.2,10 3,10 C4.8,10 6,9 6,7 L6,0' },
  V: { w: 6.4, d: 'M0,0 L3.2,10 L6.4,0' },
  W: { w: 8.4, d: 'M0,0 L2,10 L4.2,2.5 L6.4,10 L8.4,0' },
  X: { w: 6.2, d: 'M0,0 L6.2,10 M6.2,0 L0,10' },
  Y: { w: 6.4, d: 'M0,0 L3.2,5.2 L6.4,0 M3.2,5.2 L3.2,10' },
  Z: { w: 6, d: 'M0,0 L6,0 L0,10 L6,10' },
  '0': { w: 5.4, d: 'M2.7,0 C0.9,0 0,2 0,5 C0,8 0.9,10 2.7,10 C4.5,10 5.4,8 5.4,5 C5.4,2 4.5,0 2.7,0 Z' },
  '1': { w: 4.4, d: 'M0.4,2 L2.4,0 L2.4,10 M0.4,10 L4.4,10' },
  '2': { w: 6, d: 'M0.3,2 C0.8,0.6 1.8,0 3,0 C4.8,0 5.8,1.2 5.8,2.8 C5.8,4.5 4.5,5.6 0,10 L6,10' },
  '3': {
    w: 6,
    d:
      'M0.3,1 C1,0.3 2,0 3,0 C4.8,0 5.7,1 5.7,2.5 C5.7,4 4.5,4.8 2.6,4.8 C4.8,4.8 6,5.8 6,7.4 ' +
      'C6,9.1 4.8,10 3,10 C1.8,10 0.8,9.6 0,8.8',
  },
  '4': { w: 6, d: 'M4.6,10 L4.6,0 L0,7 L6,7' },
  '5': {
    w: 6,
    d: 'M5.5,0 L0.8,0 L0.3,4.6 C1.2,4 2,3.8 3,3.8 C4.9,3.8 6,5 6,6.9 C6,8.8 4.8,10 3,10 C1.8,10 0.8,9.6 0,8.8',
  },
  '6': {
    w: 6,
    d: 'M5.3,0.8 C4.6,0.2 3.9,0 3,0 C1,0 0,2.2 0,5.5 C0,8.5 1.2,10 3,10 C4.8,10 6,8.8 6,6.9 C6,5 4.8,3.9 3,3.9 C1.6,3.9 0.5,4.6 0,5.8',
  },
  '7': { w: 6, d: 'M0,0 L6,0 L2,10' },
  '8': {
    w: 6,
    d:
      'M3,4.8 C1.4,4.8 0.4,3.9 0.4,2.4 C0.4,0.9 1.5,0 3,0 C4.5,0 5.6,0.9 5.6,2.4 C5.6,3.9 4.6,4.8 3,4.8 ' +
      'C1.2,4.8 0,5.8 0,7.4 C0,9 1.3,10 3,10 C4.7,10 6,9 6,7.4 C6,5.8 4.8,4.8 3,4.8 Z',
  },
  '9': {
    w: 6,
    d: 'M0.7,9.2 C1.4,9.8 2.1,10 3,10 C5,10 6,7.8 6,4.5 C6,1.5 4.8,0 3,0 C1.2,0 0,1.2 0,3.1 C0,5 1.2,6.1 3,6.1 C4.4,6.1 5.5,5.4 6,4.2',
  },
  '!': { w: 1, d: 'M0.5,0 L0.5,6.8 M0.5,9.5 L0.5,9.8' },
  '?': {
    w: 5.6,
    d: 'M0.2,2.2 C0.5,0.8 1.5,0 2.9,0 C4.6,0 5.6,1 5.6,2.5 C5.6,4 4.5,4.6 3.5,5.2 C2.9,5.6 2.9,6.2 2.9,7 M2.9,9.5 L2.9,9.8',
  },
  '.': { w: 1, d: 'M0.5,9.5 L0.5,9.8' },
  ',': { w: 1.2, d: 'M0.8,9.3 L0.2,11.2' },
  ':': { w: 1, d: 'M0.5,3.2 L0.5,3.5 M0.5,9.5 L0.5,9.8' },
  ';': { w: 1.2, d: 'M0.8,3.2 L0.8,3.5 M0.8,9.3 L0.2,11.2' },
  "'": { w: 1, d: 'M0.5,0 L0.5,3' },
  '’': { w: 1, d: 'M0.5,0 L0.5,3' },
  '"': { w: 2.6, d: 'M0.3,0 L0.3,3 M2.3,0 L2.3,3' },
  '-': { w: 4, d: 'M0,5.6 L4,5.6' },
  '+': { w: 6, d: 'M0,5 L6,5 M3,2 L3,8' },
  '/': { w: 4.4, d: 'M4.4,0 L0,10' },
  '(': { w: 2.4, d: 'M2.4,-0.5 C0.4,2 0.4,8 2.4,10.5' },
  ')': { w: 2.4, d: 'M0,-0.5 C2,2 2,8 0,10.5' },
  '#': { w: 6, d: 'M2.2,0 L1.2,10 M5,0 L4,10 M0,3.5 L6,3.5 M0,6.5 L6,6.5' },
  $: { w: 6, d: `${S} M3,-1.2 L3,11.2` },
  '&': {
    w: 6.4,
    d: 'M6.4,10 L1.6,3.7 C1,2.9 0.9,2.4 0.9,1.9 C0.9,0.8 1.8,0 3,0 C4.2,0 5,0.8 5,1.8 C5,3.2 3.6,4 2,5 C0.8,5.8 0,6.6 0,7.8 C0,9.2 1.2,10 2.8,10 C4.4,10 5.6,9 6.2,6.5',
  },
  '%': { w: 7, d: 'M0.5,10 L6.5,0 M1.5,0.3 L1.5,2.7 M5.5,7.3 L5.5,9.7' },
};
/** A character the font lacks (another script, an emoji): an empty box, as a renderer's "tofu". */
const TOFU: Glyph = { w: 6, d: 'M0,0 L6,0 L6,10 L0,10 Z' };
const SPACE = 9;
const GAP = 2.6;
const STROKE = 1.45;

function glyphFor(ch: string): Glyph {
  const g = GLYPHS[ch] ?? GLYPHS[ch.normalize('NFKD').replace(/\p{M}/gu, '')];
  return g ?? TOFU;
}

/** Width in units of a run of text as drawn: glyphs separated by GAP, words by SPACE, plus the stroke. */
function wordWidth(text: string): number {
  let width = STROKE;
  let first = true;
  for (const ch of text) {
    if (ch === ' ') {
      width += SPACE;
      first = true;
      continue;
    }
    width += glyphFor(ch).w + (first ? 0 : GAP);
    first = false;
  }
  return width;
}

/** Greedy word wrap into lines no wider than `max` units (a longer single word gets its own line). */
function wrap(words: readonly string[], max: number): string[][] {
  const lines: string[][] = [];
  let line: string[] = [];
  let width = 0;
  for (const word of words) {
    const w = wordWidth(word);
    if (line.length && width + SPACE + w > max) {
      lines.push(line);
      line = [];
      width = 0;
    }
    width += (line.length ? SPACE : 0) + w;
    line.push(word);
  }
  if (line.length) lines.push(line);
  return lines;
}

const n = (x: number): string => x.toFixed(2);

/**
 * SVG for `text` on a white title plate inside the box (x, y, w, h): black strokes, as large as
 * fits in up to three lines with the cap height at most `maxCap` pixels.
 */
export function letteringSvg(
  text: string,
  box: { x: number; y: number; w: number; h: number },
  maxCap: number
): string {
  const words = text.split(/\s+/).filter(Boolean);
  const lineAdvance = 15; // units from one baseline to the next (cap 10 + leading)
  const pad = 4; // units of plate around the text
  let best: { lines: string[][]; scale: number } | undefined;
  for (let count = 1; count <= Math.min(3, words.length); count++) {
    // The narrowest wrap into `count` lines: grow the width limit until it fits.
    const total = wordWidth(words.join(' '));
    let max = total / count;
    let lines = wrap(words, max);
    while (lines.length > count) {
      max *= 1.05;
      lines = wrap(words, max);
    }
    const widest = Math.max(...lines.map((l) => wordWidth(l.join(' '))));
    const unitsW = widest + 2 * pad;
    const unitsH = lines.length * lineAdvance - (lineAdvance - 10) + 2 * pad;
    const scale = Math.min(box.w / unitsW, box.h / unitsH, maxCap / 10);
    if (!best || scale > best.scale * 1.02) best = { lines, scale };
  }
  if (!best) return '';
  const { lines, scale } = best;
  const widest = Math.max(...lines.map((l) => wordWidth(l.join(' '))));
  const plateW = (widest + 2 * pad) * scale;
  const plateH = (lines.length * lineAdvance - (lineAdvance - 10) + 2 * pad) * scale;
  const px = box.x + (box.w - plateW) / 2;
  const py = box.y;
  const parts = [
    `<rect x="${n(px)}" y="${n(py)}" width="${n(plateW)}" height="${n(plateH)}" rx="${n(plateH * 0.08)}" ` +
      `fill="#fff" stroke="#111" stroke-width="${n(Math.max(2, scale * 0.8))}"/>`,
  ];
  const paths: string[] = [];
  lines.forEach((line, li) => {
    const lineText = line.join(' ');
    let x = px + (plateW - wordWidth(lineText) * scale) / 2 + (STROKE / 2) * scale;
    const y = py + (pad + li * lineAdvance) * scale;
    let first = true;
    for (const ch of lineText) {
      if (ch === ' ') {
        x += SPACE * scale;
        first = true;
        continue;
      }
      if (!first) x += GAP * scale;
      first = false;
      const g = glyphFor(ch);
      paths.push(`<path transform="translate(${n(x)},${n(y)}) scale(${n(scale)})" d="${g.d}"/>`);
      x += g.w * scale;
    }
  });
  parts.push(
    `<g fill="none" stroke="#111" stroke-width="${STROKE}" stroke-linecap="round" stroke-linejoin="round">` +
      paths.join('') +
      `</g>`
  );
  return parts.join('');
}
