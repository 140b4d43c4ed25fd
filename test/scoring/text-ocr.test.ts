import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClipModelProvider, createScoringActivities } from '../../activities/scoring/index.js';
import { createOcrPool, type OcrPool } from '../../activities/scoring/ocr-pool.js';
import { LocalBlobStore } from '../../node/blob-store.js';
import { tinyModelConfig } from './tiny-model.js';
import { textFidelityFor } from '../../activities/scoring/text-check.js';
import { paintedText } from '../../emulator/lettering.js';
import { renderImage } from '../../emulator/render.js';

const PROMPTS = ["the text 'DON'T BUY THIS' big red", "travel vlog, text 'WE QUIT OUR JOBS TO TRAVEL'"];
const size = { width: 1280, height: 720 } as const;

async function fidelity(pool: OcrPool, prompt: string, bytes: Buffer): Promise<number> {
  const check = await textFidelityFor(prompt, bytes, pool);
  if (!check?.measured) throw new Error(`not measured: ${JSON.stringify(check)}`);
  return check.fidelity;
}

/** Draft seeds of a prompt whose image is clean, split by whether the lettering is spelt right. */
async function drafts(prompt: string): Promise<{ legible: Buffer[]; garbled: Buffer[] }> {
  const out = { legible: [] as Buffer[], garbled: [] as Buffer[] };
  // What the emulator paints when it spells the text right: a pro model's lettering.
  const want = paintedText('flux-1.1-pro', prompt, 0);
  for (let seed = 1; out.legible.length < 2 || out.garbled.length < 2; seed++) {
    const img = await renderImage({ model: 'flux-schnell', prompt, seed, ...size });
    if (img.defect !== 'clean') continue;
    (img.renderedText === want ? out.legible : out.garbled).push(img.bytes);
  }
  return out;
}

describe('requested-text check on emulator thumbnails (tesseract, offline)', () => {
  const pool = createOcrPool({ size: 1 });
  afterAll(() => pool.terminate());

  test('legible lettering reads ≥ 0.8; timing per 1280×720 image', async () => {
    expect(pool.started).toBe(false); // lazy
    const times: number[] = [];
    for (const prompt of PROMPTS) {
      for (const seed of [1, 2, 3]) {
        const img = await renderImage({ model: 'flux-1.1-pro', prompt, seed, ...size });
        const t = performance.now();
        const f = await fidelity(pool, prompt, img.bytes);
        times.push(performance.now() - t);
        expect(f).toBeGreaterThanOrEqual(0.8);
      }
    }
    const warm = times.slice(1);
    console.log(
      `OCR per 1280×720 image: first ${times[0]?.toFixed(0)} ms (starts the worker), then mean ` +
        `${(warm.reduce((a, b) => a + b, 0) / warm.length).toFixed(0)} ms, max ${Math.max(...warm).toFixed(0)} ms`
    );
  }, 120_000);

  test('garbled drafts score clearly lower, and ranking by fidelity prefers the legible one', async () => {
    for (const prompt of PROMPTS) {
      const { legible, garbled } = await drafts(prompt);
      const candidates = [
        { name: 'garbled', bytes: garbled[0] as Buffer },
        { name: 'legible', bytes: legible[0] as Buffer },
        { name: 'garbled', bytes: garbled[1] as Buffer },
        { name: 'legible', bytes: legible[1] as Buffer },
      ];
      const scored = [];
      for (const c of candidates) scored.push({ ...c, fidelity: await fidelity(pool, prompt, c.bytes) });
      for (const s of scored) {
        if (s.name === 'legible') expect(s.fidelity).toBeGreaterThanOrEqual(0.8);
        else expect(s.fidelity).toBeLessThanOrEqual(0.7);
      }
      const ranked = [...scored].sort((a, b) => b.fidelity - a.fidelity);
      expect(ranked.slice(0, 2).map((c) => c.name)).toEqual(['legible', 'legible']);
    }
  }, 120_000);

  test('Devanagari is not measured (and does not start OCR)', async () => {
    const prompt = "Diwali sale thumbnail, text 'नमस्ते दुनिया'";
    const img = await renderImage({ model: 'flux-1.1-pro', prompt, seed: 1, ...size });
    const idle = createOcrPool();
    await expect(textFidelityFor(prompt, img.bytes, idle)).resolves.toMatchObject({ measured: false });
    expect(idle.started).toBe(false);
  });
});

describe('the gate with the text component (scoreCandidates, tiny CLIP, OCR)', () => {
  const pool = createOcrPool({ size: 1 });
  afterAll(() => pool.terminate());

  test('of a legible and a garbled draft, the legible one scores higher and the detail says why', async () => {
    const prompt = PROMPTS[0]!;
    const { legible, garbled } = await drafts(prompt);
    const root = await mkdtemp(join(tmpdir(), 'thumbgate-text-gate-'));
    try {
      const store = new LocalBlobStore(root);
      const images = [await store.put(garbled[0]!, 'image/jpeg'), await store.put(legible[0]!, 'image/jpeg')];
      const { scoreCandidates } = createScoringActivities({
        store,
        model: new ClipModelProvider(tinyModelConfig()),
        ocr: pool,
        // The tiny CLIP's components are random: weigh them lightly so the test isolates the text check.
        weights: { aesthetic: 0.01, alignment: 0.01, technical: 0.01, text: 1 },
      });
      const { scores } = await scoreCandidates({ prompt, images });
      expect(scores[1]!.score).toBeGreaterThan(scores[0]!.score);
      expect(scores[1]!.text).toMatchObject({ requested: "DON'T BUY THIS", measured: true });
      expect(scores[0]!.text).toMatchObject({ measured: true });
      const fidelity = (i: number) => (scores[i]!.text as { fidelity: number }).fidelity;
      expect(fidelity(1)).toBeGreaterThan(fidelity(0));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 120_000);

  test('text in a script the OCR data does not read is reported as not measured and left out of the score', async () => {
    const prompt = "a temple at dawn, text 'नमस्ते दुनिया'";
    const img = await renderImage({ model: 'flux-1.1-pro', prompt, seed: 1, ...size });
    const root = await mkdtemp(join(tmpdir(), 'thumbgate-text-gate-'));
    try {
      const store = new LocalBlobStore(root);
      const ref = await store.put(img.bytes, 'image/jpeg');
      const weights = { aesthetic: 0.4, alignment: 0.4, technical: 0.2, text: 0.3 };
      const model = new ClipModelProvider(tinyModelConfig());
      const withOcr = createScoringActivities({ store, model, ocr: pool, weights });
      const without = createScoringActivities({ store, model, weights });
      const [a] = (await withOcr.scoreCandidates({ prompt, images: [ref] })).scores;
      const [b] = (await without.scoreCandidates({ prompt, images: [ref] })).scores;
      expect(a!.text).toMatchObject({ measured: false, reason: expect.stringMatching(/script not covered/) });
      expect(a!.score).toBeCloseTo(b!.score, 12); // never penalised
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 120_000);
});
