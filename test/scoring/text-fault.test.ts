/**
 * Misspelt requested text is a fault of the candidate (shared/scoring.ts `combineScore`), not a small
 * weight: its score drops below every candidate without a fault, and the explanation names it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClipModelProvider, createScoringActivities } from '../../activities/scoring/index.js';
import { createOcrPool } from '../../activities/scoring/ocr-pool.js';
import { LocalBlobStore } from '../../node/blob-store.js';
import { paintedText } from '../../emulator/lettering.js';
import { renderImage } from '../../emulator/render.js';
import { componentParts, describeComponents } from '../../shared/decision/score-explanation.js';
import {
  combineScore,
  DEFAULT_SCORE_WEIGHTS,
  isTextFault,
  TEXT_FAULT_BELOW,
  type CandidateScore,
} from '../../shared/scoring.js';
import { tinyModelConfig } from './tiny-model.js';

const W = DEFAULT_SCORE_WEIGHTS;

describe('the text fault in the combined score', () => {
  test('misspelt text ranks below every candidate without a fault, however good its other components', () => {
    const misspelt = combineScore({ aesthetic: 1, alignment: 1, technical: 1, text: 0.43 }, W);
    const faultless = [
      combineScore({ aesthetic: 0, alignment: 0, technical: 0, text: 0.72 }, W),
      combineScore({ aesthetic: 0, alignment: 0, technical: 0 }, W), // text not asked for or not measured
      combineScore({ aesthetic: 0.01, alignment: 0.01, technical: 0.01, text: TEXT_FAULT_BELOW }, W),
    ];
    for (const s of faultless) expect(misspelt).toBeLessThan(s);
    expect(misspelt).toBeLessThan(0);
    // Faulty candidates still rank among themselves by the same weighted mean.
    expect(combineScore({ aesthetic: 0.9, alignment: 0.9, technical: 0.9, text: 0.2 }, W)).toBeGreaterThan(
      combineScore({ aesthetic: 0.2, alignment: 0.2, technical: 0.2, text: 0.2 }, W)
    );
  });

  test('the bar sits in the measured gap (misspelt 0.20–0.43, correct 0.72–0.80), and unmeasured is no fault', () => {
    expect(isTextFault(0.2)).toBe(true);
    expect(isTextFault(0.43)).toBe(true);
    expect(isTextFault(0.72)).toBe(false);
    expect(isTextFault(TEXT_FAULT_BELOW)).toBe(false);
    expect(isTextFault(undefined)).toBe(false);
  });

  test('the parts still add up to the score, and the text part names the fault', () => {
    const text = { requested: 'I FOUND IT', measured: true as const, read: 'I FUOND TI', fidelity: 1 / 3 };
    const detail = {
      score: combineScore({ aesthetic: 0.6, alignment: 0.7, technical: 0.5, text: text.fidelity }, W),
      aesthetic: 0.6,
      alignment: { cosine: 0.28, clipScore: 0.7, normalized: 0.7 },
      technical: { score: 0.5 },
      text,
    } as CandidateScore;
    const parts = componentParts(detail, W);
    expect(parts.reduce((sum, p) => sum + p.points, 0)).toBeCloseTo(detail.score, 12);
    expect(parts.find((p) => p.name === 'text')).toMatchObject({
      value: 1 / 3,
      fault: expect.stringMatching(/misspelt/),
    });
    expect(parts.filter((p) => p.fault !== undefined).map((p) => p.name)).toEqual(['text']);
    expect(describeComponents(detail)).toContain(
      '"I FOUND IT" read as "I FUOND TI", misspelt (fidelity below 0.575): a fault'
    );
  });
});

describe('the scorer on emulator drafts (tiny CLIP, real OCR)', () => {
  const pool = createOcrPool({ size: 1 });
  afterAll(() => pool.terminate());

  test('a draft with misspelt lettering scores below a correctly spelt one, with the default weights', async () => {
    const prompt = "the text 'DON'T BUY THIS' big red";
    // What the emulator paints when it spells the text right: a pro model's lettering.
    const want = paintedText('flux-1.1-pro', prompt, 0);
    let legible: Buffer | undefined;
    let misspelt: Buffer | undefined;
    for (let seed = 1; !legible || !misspelt; seed++) {
      const img = await renderImage({ model: 'flux-schnell', prompt, seed, width: 1280, height: 720 });
      if (img.defect !== 'clean') continue;
      if (img.renderedText === want) legible ??= img.bytes;
      else misspelt ??= img.bytes;
    }
    const root = await mkdtemp(join(tmpdir(), 'thumbgate-text-fault-'));
    try {
      const store = new LocalBlobStore(root);
      const images = [await store.put(misspelt, 'image/jpeg'), await store.put(legible, 'image/jpeg')];
      const { scoreCandidates } = createScoringActivities({
        store,
        model: new ClipModelProvider(tinyModelConfig()),
        ocr: pool,
      });
      const { scores } = await scoreCandidates({ prompt, images });
      const [bad, good] = scores as [CandidateScore, CandidateScore];
      expect(bad.text).toMatchObject({ measured: true, fidelity: expect.any(Number) });
      expect(bad.score).toBeLessThan(0);
      expect(good.score).toBeGreaterThanOrEqual(0);
      expect(componentParts(bad).find((p) => p.name === 'text')?.fault).toMatch(/misspelt/);
      expect(componentParts(good).some((p) => p.fault !== undefined)).toBe(false);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 120_000);
});
