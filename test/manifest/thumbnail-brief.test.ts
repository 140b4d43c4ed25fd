import { parseCsv } from '../../node/manifest/csv.js';
import { ASPECT_RATIOS, PRICE_CARD } from '../../shared/price-card.js';
import {
  describeSizeProblems,
  isSafeId,
  nearestValidSizes,
  rerollAspectRatio,
  sizeForAspectRatio,
  sizeProblem,
  sizeProblems,
} from '../../shared/thumbnail-brief.js';

describe('isSafeId', () => {
  test('accepts file-name-safe ids', () => {
    for (const id of ['2026-11-24-gaming-001', 'a', 'A.b_c-d', '0', 'x'.repeat(100)]) expect(isSafeId(id)).toBe(true);
  });
  test('rejects separators, traversal, leading punctuation, spaces, overlong and non-strings', () => {
    for (const id of [
      '',
      '..',
      '../x',
      'a..b',
      '.x',
      '-x',
      '_x',
      'a/b',
      'a\\b',
      'a b',
      'é',
      'x'.repeat(101),
      7,
      null,
    ]) {
      expect(isSafeId(id)).toBe(false);
    }
  });
});

describe('aspect ratios', () => {
  test('rerollAspectRatio picks the nearest offered ratio', () => {
    expect(rerollAspectRatio(1280, 720)).toBe('16:9');
    expect(rerollAspectRatio(720, 1280)).toBe('9:16');
    expect(rerollAspectRatio(1000, 1000)).toBe('1:1');
    expect(rerollAspectRatio(1200, 900)).toBe('4:3');
    expect(rerollAspectRatio(2560, 1080)).toBe('21:9');
    expect(rerollAspectRatio(1280, 800)).toBe('3:2'); // 1.6: nearer 3:2 (1.5) than 16:9 (1.78) on a log scale
  });

  test('an aspect_ratio brief resolves to about 1280×720 pixels, sides multiples of 16', () => {
    expect(sizeForAspectRatio('16:9')).toEqual({ width: 1280, height: 720 });
    expect(sizeForAspectRatio('9:16')).toEqual({ width: 720, height: 1280 });
    for (const ratio of ASPECT_RATIOS) {
      const { width, height } = sizeForAspectRatio(ratio);
      expect(width % 16).toBe(0);
      expect(height % 16).toBe(0);
      expect(Math.abs((width * height) / (1280 * 720) - 1)).toBeLessThan(0.05);
      expect(rerollAspectRatio(width, height)).toBe(ratio);
      // Every ratio a brief can name is one both default models can make.
      expect(sizeProblems(['flux-schnell', 'flux-1.1-pro'], { width, height })).toEqual([]);
    }
  });
});

describe('size checks', () => {
  test('pixel-sized models need sides in range and multiples of 16', () => {
    expect(sizeProblem('flux-schnell', { width: 1280, height: 720 })).toBeUndefined();
    expect(sizeProblem('flux-schnell', { width: 1280, height: 2064 })?.message).toMatch(/256 to 2048/);
    expect(sizeProblem('flux-schnell', { width: 240, height: 240 })?.model).toBe('flux-schnell');
    expect(sizeProblem('flux-dev', { width: 1000, height: 720 })?.message).toMatch(/multiples of 16, got 1000x720/);
    expect(sizeProblem('flux-dev', { width: 0, height: 720 })?.message).toBe('width must be a positive integer, got 0');
    // A model spec from the price card works as well as its id.
    expect(sizeProblem(PRICE_CARD['flux-dev'], { width: 1000, height: 720 })?.model).toBe('flux-dev');
  });

  test('aspect-ratio models accept shapes within 3% of an offered ratio', () => {
    expect(sizeProblem('flux-1.1-pro', { width: 1280, height: 720 })).toBeUndefined();
    expect(sizeProblem('flux-1.1-pro', { width: 1312, height: 720 })).toBeUndefined(); // 2.5% wide of 16:9
    expect(sizeProblem('flux-1.1-pro', { width: 1328, height: 720 })?.message).toMatch(
      /3\.8% off the nearest \(16:9\)/
    );
    expect(sizeProblem('flux-1.1-pro', { width: 5000, height: 5000 })).toBeUndefined(); // resized later
  });

  test('suggestions satisfy every model and are close in shape', () => {
    const models = ['flux-schnell', 'flux-1.1-pro'] as const;
    const nearest = nearestValidSizes(models, { width: 1000, height: 700 });
    expect(nearest).toHaveLength(2);
    for (const size of nearest) expect(sizeProblems(models, size)).toEqual([]);
    expect(nearestValidSizes(models, { width: 1270, height: 715 })[0]).toEqual({ width: 1280, height: 720 });
    expect(describeSizeProblems(models, { width: 1280, height: 720 })).toBeUndefined();
    expect(describeSizeProblems(models, { width: 1270, height: 715 })).toMatch(/— try 1280x720 or /);
  });
});

describe('parseCsv', () => {
  test('RFC 4180 quoting: commas, doubled quotes and newlines inside quotes; record start lines', () => {
    const { records, problems } = parseCsv('a,b\r\n"x, y","say ""hi""\r\nthere"\r\n3,\r\n');
    expect(problems).toEqual([]);
    expect(records).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: ['x, y', 'say "hi"\nthere'] },
      { line: 4, cells: ['3', ''] },
    ]);
  });

  test('spaces around a quoted cell are layout; a final line without newline still counts', () => {
    expect(parseCsv('a, "b" ,c\nd').records).toEqual([
      { line: 1, cells: ['a', 'b', 'c'] },
      { line: 2, cells: ['d'] },
    ]);
  });

  test('quote problems mark the record broken and are reported once', () => {
    const { records, problems } = parseCsv('a\nx"y"z\nok\n');
    expect(problems).toEqual([{ line: 2, message: expect.stringMatching(/stray double quote/) }]);
    expect(records.map((r) => [r.line, r.broken ?? false])).toEqual([
      [1, false],
      [2, true],
      [3, false],
    ]);
  });
});
