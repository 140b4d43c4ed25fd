import sharp from 'sharp';
import { renderImage } from '../../emulator/render.js';
import { DRAFT_DEFECT_RATES, drawQuality } from '../../emulator/quality.js';
import { createEmulator, type Emulator } from '../../emulator/server.js';
import { post, schnell } from './helpers.js';

/** What a quality gate can measure without knowing the ground truth. */
async function measure(bytes: Buffer): Promise<{ sharpness: number; stdev: number; mean: number }> {
  const stats = await sharp(bytes).stats();
  const stdev = stats.channels.slice(0, 3).reduce((s, c) => s + c.stdev, 0) / 3;
  const mean = stats.channels.slice(0, 3).reduce((s, c) => s + c.mean, 0) / 3;
  return { sharpness: stats.sharpness, stdev, mean };
}

/** Clean thumbnails: crisp but not grainy, contrasty, neither dark nor washed out. */
function looksClean(m: { sharpness: number; stdev: number; mean: number }): boolean {
  return m.sharpness > 1.3 && m.sharpness < 6.5 && m.stdev > 40 && m.mean > 60 && m.mean < 190;
}

describe('emulator: rendering', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await createEmulator();
  });
  afterAll(() => emulator.close());

  test('same request → identical bytes; another seed or prompt → different bytes', async () => {
    const a = await post(emulator, 'flux-schnell', schnell(5));
    const b = await post(emulator, 'flux-schnell', schnell(5));
    const c = await post(emulator, 'flux-schnell', schnell(6));
    const d = await post(emulator, 'flux-schnell', schnell(5, { prompt: 'a cat reviewing headphones' }));
    expect(a.bytes.equals(b.bytes)).toBe(true);
    expect(a.headers['x-generation-time']).toBe(b.headers['x-generation-time']);
    expect(a.bytes.equals(c.bytes)).toBe(false);
    expect(a.bytes.equals(d.bytes)).toBe(false);
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
  });

  test('draft quality varies by seed, and the defects are measurable', async () => {
    const seeds = Array.from({ length: 24 }, (_, i) => 1000 + i);
    const prompt = 'gaming setup tour with neon lights';
    let clean = 0;
    let degraded = 0;
    for (const seed of seeds) {
      const image = await renderImage({ model: 'flux-schnell', prompt, seed, width: 448, height: 256 });
      const m = await measure(image.bytes);
      // The metrics agree with the ground truth the emulator reports.
      expect({ seed, defect: image.defect, clean: looksClean(m) }).toEqual({
        seed,
        defect: image.defect,
        clean: image.defect === 'clean',
      });
      if (image.defect === 'clean') clean++;
      else degraded++;
    }
    expect(clean).toBeGreaterThan(0);
    expect(degraded).toBeGreaterThan(0);
  });

  test('the draft defect distribution follows DRAFT_DEFECT_RATES', () => {
    const counts: Record<string, number> = {};
    const n = 5000;
    for (let seed = 0; seed < n; seed++) {
      const { defect } = drawQuality('flux-dev', 'travel vlog', seed);
      counts[defect] = (counts[defect] ?? 0) + 1;
    }
    for (const [defect, rate] of Object.entries(DRAFT_DEFECT_RATES)) {
      expect(Math.abs((counts[defect] ?? 0) / n - rate)).toBeLessThan(0.03);
    }
  });

  test('pro models are consistently clean and sharp', async () => {
    for (let seed = 0; seed < 10; seed++) {
      for (const model of ['flux-1.1-pro', 'flux-pro'] as const) {
        const image = await renderImage({
          model,
          prompt: 'gaming setup tour with neon lights',
          seed,
          width: 448,
          height: 256,
        });
        expect(image.defect).toBe('clean');
        expect(looksClean(await measure(image.bytes))).toBe(true);
      }
    }
  });
});
