import sharp from 'sharp';
import { renderImage } from '../../emulator/render.js';
import { decodeImage, ImageRejectedError, technicalQuality } from '../../activities/scoring/index.js';
import { measureTechnicalQuality } from '../../activities/scoring/technical-quality.js';
import {
  HEIGHT,
  WIDTH,
  blurredScenePng,
  darkScenePng,
  sceneJpeg,
  scenePng,
  sceneWebp,
  sceneWithAlphaPng,
  wrongSizePng,
} from './fixtures.js';
import { tinyModelPreprocessing } from './tiny-model.js';

const size = { width: WIDTH, height: HEIGHT };
const p = tinyModelPreprocessing();
/** A 16:9 image at CLIP's shortest edge 224. */
const SCORING = { width: 398, height: 224 };

async function quality(bytes: Buffer) {
  return technicalQuality(await decodeImage(bytes, p, size));
}

describe('technical quality', () => {
  test('ranks an image above a blurred copy of itself, through sharpness', async () => {
    const [sharp_, blurred] = await Promise.all([quality(await scenePng()), quality(await blurredScenePng())]);
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
