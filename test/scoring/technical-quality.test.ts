import { join } from 'node:path';
import sharp from 'sharp';
import { mulberry32 } from '../../emulator/prng.js';
import { renderImage } from '../../emulator/render.js';
import { decodeImage, ImageRejectedError, technicalQuality } from '../../activities/scoring/index.js';
import { measureTechnicalQuality } from '../../activities/scoring/technical-quality.js';
import {
  HEIGHT,
  WIDTH,
  darkScenePng,
  sceneJpeg,
  scenePng,
  sceneWebp,
  sceneWithAlphaPng,
  wrongSizePng,
} from './fixtures.js';
import { tinyModelPreprocessing } from './tiny-model.js';
import { projectRoot } from '../../node/paths.js';

const size = { width: WIDTH, height: HEIGHT };
const p = tinyModelPreprocessing();
/** A 16:9 image at CLIP's shortest edge 224. */
const SCORING = { width: 398, height: 224 };

async function quality(bytes: Buffer) {
  return technicalQuality(await decodeImage(bytes, p, size));
}

describe('technical quality', () => {
  test('ranks an image above a blurred copy of itself, through sharpness', async () => {
    // A clean emulator draft rather than the synthetic scene: the scene's ±14 checker of 4 px covers
    // every pixel, which the noise measure rightly reads as grain (the photographs below cover blur
    // on real detail).
    const { bytes } = await renderImage({ model: 'flux-schnell', prompt: 'a bowl of ramen', seed: 3, ...size });
    const [sharp_, blurred] = await Promise.all([quality(bytes), quality(await sharp(bytes).blur(4).png().toBuffer())]);
    expect(sharp_.sharpness).toBeGreaterThan(blurred.sharpness);
    expect(sharp_.score).toBeGreaterThan(blurred.score);
  });

  test('ranks a well-exposed image above a nearly black one, through exposure and contrast', async () => {
    const [normal, dark] = await Promise.all([quality(await scenePng()), quality(await darkScenePng())]);
    expect(normal.exposure).toBeGreaterThan(dark.exposure);
    expect(normal.contrast).toBeGreaterThan(dark.contrast);
    expect(normal.score).toBeGreaterThan(dark.score);
  });

  test('every component is in [0, 1] and the result is the same on every run', async () => {
    const bytes = await scenePng();
    const a = await quality(bytes);
    const b = await quality(bytes);
    expect(b).toEqual(a);
    for (const key of ['score', 'sharpness', 'exposure', 'contrast', 'colourfulness'] as const) {
      expect(a[key]).toBeGreaterThanOrEqual(0);
      expect(a[key]).toBeLessThanOrEqual(1);
    }
  });

  test('a flat grey image has no sharpness, contrast or colourfulness and ideal mean exposure', () => {
    const grey = Buffer.alloc(64 * 36 * 3, 128);
    const q = measureTechnicalQuality(grey, 64, 36);
    expect(q.sharpness).toBe(0);
    expect(q.contrast).toBe(0);
    expect(q.colourfulness).toBe(0);
    expect(q.exposure).toBeGreaterThan(0.99);
  });
});

/** Real photographs (test/fixtures/photos/SOURCE.md), as 8-bit RGB at their stored size. */
const PHOTOS = ['astronaut', 'coffee', 'chelsea'] as const;
async function photo(name: string) {
  const { data, info } = await sharp(join(projectRoot, 'test', 'fixtures', 'photos', `${name}.jpg`))
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** The photo with seeded Gaussian noise of `sigma` (0–255) added to every channel (Box–Muller). */
function withNoise(rgb: Buffer, sigma: number, seed = 7): Buffer {
  const rand = mulberry32(seed);
  const out = Buffer.from(rgb);
  for (let i = 0; i < out.length; i++) {
    const g = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    out[i] = Math.max(0, Math.min(255, Math.round(out[i]! + sigma * g)));
  }
  return out;
}

/** Scored as the activity scores it: encoded, then decoded at the CLIP resize size. */
async function qualityOfRaw(rgb: Buffer, width: number, height: number) {
  const png = await sharp(rgb, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
  return technicalQuality(await decodeImage(png, p, { width, height }));
}

describe('technical quality on real photographs', () => {
  test.each(PHOTOS)(
    '%s: added Gaussian noise lowers the score step by step and never raises sharpness',
    async (name) => {
      const { data, width, height } = await photo(name);
      const sigmas = [0, 2, 5, 10, 20];
      const qs = await Promise.all(sigmas.map((s) => qualityOfRaw(withNoise(data, s), width, height)));
      for (let k = 1; k < qs.length; k++) {
        expect(qs[k]!.score).toBeLessThan(qs[k - 1]!.score);
        expect(qs[k]!.noise!).toBeLessThan(qs[k - 1]!.noise!);
        expect(qs[k]!.raw.noiseSigma!).toBeGreaterThan(qs[k - 1]!.raw.noiseSigma!);
        expect(qs[k]!.sharpness).toBeLessThanOrEqual(qs[k - 1]!.sharpness);
      }
      // The plain Laplacian variance, which sharpness used to be, is what noise inflates.
      expect(qs.at(-1)!.raw.laplacianVariance).toBeGreaterThan(qs[0]!.raw.laplacianVariance);
      // A clean photograph's own texture is not taken for noise.
      expect(qs[0]!.noise!).toBeGreaterThan(0.9);
    }
  );

  test.each(PHOTOS)('%s: blur lowers sharpness and the score', async (name) => {
    const { data, width, height } = await photo(name);
    const blurred = async (sigma: number) =>
      sharp(data, { raw: { width, height, channels: 3 } })
        .blur(sigma)
        .raw()
        .toBuffer();
    const [clean, soft, softer] = await Promise.all([
      qualityOfRaw(data, width, height),
      qualityOfRaw(await blurred(1), width, height),
      qualityOfRaw(await blurred(2), width, height),
    ]);
    expect(soft.sharpness).toBeLessThan(clean.sharpness);
    expect(softer.sharpness).toBeLessThan(soft.sharpness);
    expect(softer.score).toBeLessThan(clean.score);
  });
});

describe('technical quality on emulator drafts', () => {
  test("a prompt's noisy drafts score below every clean draft of it", async () => {
    const prompt = "a cooking video thumbnail: a steaming bowl of ramen, bold title text 'RAMEN IN 10 MINUTES'";
    const drafts = await Promise.all(
      Array.from({ length: 14 }, (_, i) =>
        renderImage({ model: 'flux-schnell', prompt, seed: i + 1, width: 1280, height: 720 })
      )
    );
    const scored = await Promise.all(
      drafts.map(async (d) => ({
        defect: d.defect,
        q: technicalQuality(await decodeImage(d.bytes, p, { width: 1280, height: 720 })),
      }))
    );
    const clean = scored.filter((s) => s.defect === 'clean');
    const noisy = scored.filter((s) => s.defect === 'noisy');
    // The emulator's seeded draw gives this prompt both kinds within 14 seeds (emulator/quality.ts).
    expect(clean.length).toBeGreaterThanOrEqual(3);
    expect(noisy.length).toBeGreaterThanOrEqual(2);
    const worstClean = Math.min(...clean.map((s) => s.q.score));
    for (const n of noisy) {
      expect(n.q.score).toBeLessThan(worstClean);
      expect(n.q.noise!).toBeLessThan(Math.min(...clean.map((s) => s.q.noise!)));
    }
  });
});

describe('decodeImage', () => {
  test.each([
    ['PNG', scenePng],
    ['JPEG', sceneJpeg],
    ['WebP', sceneWebp],
  ])('decodes %s to 8-bit RGB at the CLIP resize size', async (_name, make) => {
    const image = await decodeImage(await make(), p, size);
    expect(image).toMatchObject(SCORING);
    expect(image.data.length).toBe(SCORING.width * SCORING.height * 3);
  });

  test('decodes into the resize: the pixels a full decode then a bicubic resize give, bit for bit', async () => {
    // 1280×720: large enough that JPEG shrink-on-load (which would change the pixels) could apply.
    const { bytes } = await renderImage({
      model: 'flux-schnell',
      prompt: 'a bowl of ramen',
      seed: 3,
      width: 1280,
      height: 720,
    });
    const full = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    const reference = await sharp(full.data, { raw: { width: 1280, height: 720, channels: 3 } })
      .resize(398, 224, { fit: 'fill', kernel: 'cubic' })
      .raw()
      .toBuffer();
    const image = await decodeImage(bytes, p, { width: 1280, height: 720 });
    expect(image).toMatchObject(SCORING);
    expect(image.data.equals(reference)).toBe(true);
  });

  test('flattens alpha onto white', async () => {
    const image = await decodeImage(await sceneWithAlphaPng(), p, size);
    const opaque = await decodeImage(await scenePng(), p, size);
    expect(image.data.length).toBe(SCORING.width * SCORING.height * 3);
    // Half-transparent pixels over white are lighter than the opaque original.
    const mean = (b: Buffer) => b.reduce((s, v) => s + v, 0) / b.length;
    expect(mean(image.data)).toBeGreaterThan(mean(opaque.data));
  });

  test('rejects bytes that are not an image', async () => {
    const err = await decodeImage(Buffer.from('<html>502 Bad Gateway</html>'), p, size).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageRejectedError);
    expect((err as ImageRejectedError).problem).toBe('not-an-image');
  });

  test('rejects formats other than JPEG, PNG and WebP', async () => {
    const gif = await sharp({ create: { width: WIDTH, height: HEIGHT, channels: 3, background: '#808080' } })
      .gif()
      .toBuffer();
    const err = (await decodeImage(gif, p, size).catch((e: unknown) => e)) as ImageRejectedError;
    expect(err.problem).toBe('unsupported-format');
    expect(err.message).toMatch(/gif.*jpeg, png, webp/);
  });

  test('rejects an image of the wrong size, naming both sizes', async () => {
    const err = (await decodeImage(await wrongSizePng(), p, size).catch((e: unknown) => e)) as ImageRejectedError;
    expect(err.problem).toBe('wrong-size');
    expect(err.message).toContain(`320x240, expected ${WIDTH}x${HEIGHT}`);
  });
});
