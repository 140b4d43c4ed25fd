import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ClipModelProvider,
  DEFAULT_AESTHETIC_PROMPTS,
  DEFAULT_TECHNICAL_WEIGHTS,
  createOcrPool,
  createScoringActivities,
  loadClipModel,
  scoreImages,
} from '../../activities/scoring/index.js';
import { DEFAULT_SCORE_WEIGHTS } from '../../shared/scoring.js';
import { LocalBlobStore } from '../../node/blob-store.js';
import type { BlobRef } from '../../shared/blob-ref.js';
import { renderImage } from '../../emulator/render.js';
import { tinyModelConfig } from './tiny-model.js';
import { applicationFailure } from '../helpers/rejection.js';

/**
 * Scoring runs the vision tower in passes of up to eight images, decoding the next pass while one
 * runs, with each image's statistics and OCR made from its one decode. Nine candidates make two
 * passes (5 + 4); whatever the passes, each candidate must get the result it gets when scored alone,
 * at its own index, and a bad image in a later pass must fail the call as it did before.
 */
const PROMPT = "a cooking video thumbnail, title text 'RAMEN IN 10 MINUTES'";
const size = { width: 640, height: 360 } as const;

let root: string;
let store: LocalBlobStore;
let refs: BlobRef[];
let activities: ReturnType<typeof createScoringActivities>;
const pool = createOcrPool();
/** Vision-tower passes run: the real model, counted. */
let passes = 0;
const model = new ClipModelProvider(tinyModelConfig(), async (config, options) => {
  const loaded = await loadClipModel(config, options);
  return {
    ...loaded,
    embedImages(pixels: Float32Array, count: number) {
      passes++;
      return loaded.embedImages(pixels, count);
    },
  };
});

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'thumbgate-pipelined-'));
  store = new LocalBlobStore(root);
  // Drafts and finals of one prompt: different lettering (some misspelt), defects and formats.
  const images = await Promise.all(
    Array.from({ length: 9 }, (_, i) =>
      renderImage({ model: i % 3 === 2 ? 'flux-1.1-pro' : 'flux-schnell', prompt: PROMPT, seed: i + 1, ...size })
    )
  );
  refs = await Promise.all(images.map((img) => store.put(img.bytes, img.contentType)));
  activities = createScoringActivities({ store, model, ocr: pool });
});

beforeEach(() => {
  passes = 0;
});

afterAll(async () => {
  await pool.terminate();
  await rm(root, { recursive: true, force: true });
});

test('nine candidates in two passes get the scores, statistics and OCR each gets alone, in input order', async () => {
  const together = await activities.scoreCandidates({ prompt: PROMPT, images: refs, ...size });
  expect(passes).toBe(2);
  expect(together.scores.map((s) => s.sha256)).toEqual(refs.map((r) => r.sha256));
  expect(together.scores.map((s) => s.index)).toEqual(refs.map((_, i) => i));
  // The lettering differs between drafts, so a text check at the wrong index would show.
  expect(new Set(together.scores.map((s) => JSON.stringify(s.text))).size).toBeGreaterThan(3);
  for (const [i, ref] of refs.entries()) {
    const [alone] = (await activities.scoreCandidates({ prompt: PROMPT, images: [ref], ...size })).scores;
    const s = together.scores[i]!;
    expect(Math.abs(alone!.score - s.score)).toBeLessThan(1e-5);
    expect(Math.abs(alone!.aesthetic - s.aesthetic)).toBeLessThan(1e-5);
    expect(Math.abs(alone!.alignment.cosine - s.alignment.cosine)).toBeLessThan(1e-5);
    expect(alone!.technical).toEqual(s.technical);
    expect(alone!.text).toEqual(s.text);
    expect(s.text).toMatchObject({ requested: 'RAMEN IN 10 MINUTES', measured: true });
  }
}, 120_000);

test('an image whose pixels cannot be decoded, in the second pass, fails the call non-retryably and stops there', async () => {
  const good = await store.get(refs[0]!);
  // A JPEG cut short: its header reads (so it is not rejected up front), its pixels do not.
  const cut = await store.put(good.subarray(0, Math.round(good.length * 0.6)), 'image/jpeg');
  // Nine images, passes of 5 + 4: index 6 is in the second.
  const images = [...refs.slice(0, 6), cut, ...refs.slice(6, 8)];
  const failure = await applicationFailure(activities.scoreCandidates({ prompt: PROMPT, images, ...size }));
  expect(failure).toMatchObject({ nonRetryable: true, type: 'ScoringInvalidImage' });
  expect(failure.message).toContain(`image 6 (sha256 ${cut.sha256.slice(0, 12)}) could not be decoded`);
  expect(passes).toBe(1); // the first pass ran while the second decoded; nothing after the failure
}, 120_000);

test('a wrong-size image in the last pass fails before any pass runs, as the header is checked first', async () => {
  const small = await renderImage({ model: 'flux-schnell', prompt: PROMPT, seed: 1, width: 320, height: 180 });
  const ref = await store.put(small.bytes, small.contentType);
  const failure = await applicationFailure(
    activities.scoreCandidates({ prompt: PROMPT, images: [...refs.slice(0, 8), ref], ...size })
  );
  expect(failure).toMatchObject({ nonRetryable: true, type: 'ScoringWrongImageSize' });
  expect(failure.message).toContain('image 8');
  expect(failure.message).toContain('is 320x180, expected 640x360');
  expect(passes).toBe(0);
}, 120_000);

describe('OCR left waiting when scoring stops', () => {
  test('a cancelled call (its signal aborts) fails with the reason instead of finishing its OCR', async () => {
    const clip = await model.get();
    const images = await Promise.all(refs.map(async (ref) => ({ bytes: await store.get(ref), sha256: ref.sha256 })));
    const cancel = new AbortController();
    const call = scoreImages(clip, PROMPT, images, size, {
      weights: { ...DEFAULT_SCORE_WEIGHTS },
      aestheticPrompts: DEFAULT_AESTHETIC_PROMPTS,
      technicalWeights: DEFAULT_TECHNICAL_WEIGHTS,
      ocr: pool,
      signal: cancel.signal,
    });
    cancel.abort(new Error('activity cancelled'));
    await expect(call).rejects.toThrow('activity cancelled');
  });

  test("is dropped when the call's signal aborts, and refused (not restarting the workers) after terminate", async () => {
    const idle = createOcrPool();
    const bytes = await store.get(refs[0]!);
    const abandon = new AbortController();
    const dropped = idle.recognize(bytes, abandon.signal);
    abandon.abort();
    await expect(dropped).rejects.toThrow(/abort/i);
    expect(idle.started).toBe(false);
    // Two images queued, then the pool is shut down while they are still being prepared.
    const waiting = [idle.recognize(bytes), idle.recognize(bytes)];
    await idle.terminate();
    for (const outcome of await Promise.allSettled(waiting)) expect(outcome.status).toBe('rejected');
    expect(idle.started).toBe(false);
  });
});
