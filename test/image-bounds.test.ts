/**
 * The image size rule (activities/image-bounds.ts): dimensions read from header bytes alone (no
 * decoder, so header-only buffers work), the 4× margin, and every sharp entry point on provider bytes
 * refusing a decompression bomb from its header.
 */
import sharp from 'sharp';
import {
  MAX_IMAGE_PIXELS,
  oversizeProblem,
  pixelLimit,
  readDeclaredImage,
  type Dimensions,
} from '../activities/image-bounds.js';
import { fitWinner, makePreview, makeTile } from '../activities/outputs/images.js';
import { checkImageHeader, decodeImage, ImageRejectedError } from '../activities/scoring/decode-image.js';
import { checkImageBody, ImageBodyError } from '../activities/segmind/image-body.js';
import { toRequestBody } from '../shared/generation-request.js';
import { tinyModelPreprocessing } from './scoring/tiny-model.js';
import { blankPng, HUGE_IMAGE_SIDE } from '../emulator/huge-image.js';

/** Signature and IHDR only: what a PNG declares, with no pixel data at all. */
function pngHeaderOnly(width: number, height: number): Buffer {
  const b = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'ascii');
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  b[24] = 8;
  b[25] = 2;
  return b;
}

/** SOI, an APP0 (JFIF) segment, then a baseline or progressive frame header; no scan. */
function jpegHeaderOnly(width: number, height: number, sof = 0xc0): Buffer {
  const app0 = [0xff, 0xe0, 0x00, 0x10, ...Buffer.from('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0];
  const frame = [0xff, sof, 0x00, 0x11, 8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3];
  return Buffer.from([0xff, 0xd8, ...app0, 0xff, 0xff, ...frame, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
}

function webpHeaderOnly(kind: 'VP8 ' | 'VP8L' | 'VP8X', width: number, height: number): Buffer {
  const b = Buffer.alloc(30);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(22, 4);
  b.write('WEBP', 8, 'ascii');
  b.write(kind, 12, 'ascii');
  b.writeUInt32LE(10, 16);
  if (kind === 'VP8 ') {
    b.set([0x9d, 0x01, 0x2a], 23);
    b.writeUInt16LE(width, 26);
    b.writeUInt16LE(height, 28);
  } else if (kind === 'VP8L') {
    b[20] = 0x2f;
    b.writeUInt32LE((width - 1) | ((height - 1) << 14), 21);
  } else {
    b.writeUIntLE(width - 1, 24, 3);
    b.writeUIntLE(height - 1, 27, 3);
  }
  return b;
}

const thumb: Dimensions = { width: 1280, height: 720 };

describe('readDeclaredImage: dimensions from the header bytes alone', () => {
  test('PNG, JPEG (baseline, progressive, after fill bytes) and the three WebP forms', () => {
    expect(readDeclaredImage(pngHeaderOnly(20_000, 20_000))).toEqual({ format: 'png', width: 20_000, height: 20_000 });
    expect(readDeclaredImage(jpegHeaderOnly(21_776, 12_249))).toEqual({
      format: 'jpeg',
      width: 21_776,
      height: 12_249,
    });
    expect(readDeclaredImage(jpegHeaderOnly(640, 360, 0xc2))).toEqual({ format: 'jpeg', width: 640, height: 360 });
    expect(readDeclaredImage(webpHeaderOnly('VP8 ', 16_383, 9_000))).toEqual({
      format: 'webp',
      width: 16_383,
      height: 9_000,
    });
    expect(readDeclaredImage(webpHeaderOnly('VP8L', 16_384, 16_384))).toEqual({
      format: 'webp',
      width: 16_384,
      height: 16_384,
    });
    expect(readDeclaredImage(webpHeaderOnly('VP8X', 100_000, 50_000))).toEqual({
      format: 'webp',
      width: 100_000,
      height: 50_000,
    });
  });

  test('agrees with libvips on real encoder output', async () => {
    const base = sharp({ create: { width: 448, height: 256, channels: 4, background: '#336699aa' } });
    for (const bytes of [
      await base.clone().jpeg().toBuffer(),
      await base.clone().jpeg({ progressive: true }).toBuffer(),
      await base.clone().png().toBuffer(),
      await base.clone().webp().toBuffer(),
      await base.clone().webp({ lossless: true }).toBuffer(),
    ]) {
      const meta = await sharp(bytes).metadata();
      expect(readDeclaredImage(bytes)).toEqual({ format: meta.format, width: meta.width, height: meta.height });
    }
  });

  test('anything else, or too short to say, declares nothing', async () => {
    const gif = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
      .gif()
      .toBuffer();
    for (const bytes of [
      gif,
      Buffer.from('<html>502 Bad Gateway</html>'),
      pngHeaderOnly(1, 1).subarray(0, 20),
      Buffer.from([0xff, 0xd8, 0xff, 0xda, 0, 2]), // a scan before any frame
      Buffer.alloc(0),
    ]) {
      expect(readDeclaredImage(bytes)).toBeUndefined();
    }
  });
});

describe('the size rule', () => {
  test('4× the requested area, capped at 4× the largest size any model is asked for', () => {
    expect(pixelLimit(thumb)).toBe(4 * 1280 * 720);
    expect(MAX_IMAGE_PIXELS).toBeGreaterThanOrEqual(4 * 2048 * 2048);
    expect(MAX_IMAGE_PIXELS).toBeLessThan(20_000_000);
    expect(pixelLimit()).toBe(MAX_IMAGE_PIXELS);
  });

  test('the sizes a provider picks near the request pass; a bomb is named with the limit', () => {
    // The emulator's buckets: 1344×768 for a ≈1 MP 16:9, 2752×1536 for ultra's ≈4 MP.
    expect(oversizeProblem({ width: 1344, height: 768 }, { width: 1360, height: 768 })).toBeUndefined();
    expect(oversizeProblem({ width: 2752, height: 1536 }, { width: 2736, height: 1536 })).toBeUndefined();
    expect(oversizeProblem({ width: 2560, height: 1440 }, thumb)).toBeUndefined();
    expect(oversizeProblem({ width: 21_776, height: 12_249 }, { width: 1360, height: 768 })).toBe(
      '21776×12249 (266,734,224 px) is over the 4,177,920-pixel limit (4× the requested 1360×768); ' +
        'it was refused from its header, undecoded'
    );
    expect(oversizeProblem({ width: 8192, height: 8192 })).toMatch(/largest size any model is asked for/);
  });
});

describe('every decoder of provider bytes refuses a bomb from its header', () => {
  let bomb: Buffer;
  let mid: Buffer;
  beforeAll(async () => {
    bomb = await blankPng(HUGE_IMAGE_SIDE, HUGE_IMAGE_SIDE); // 400 MP: over sharp's own default too
    mid = await blankPng(8_000, 8_000); // 64 MP: under sharp's default 268 MP, so only our limit refuses it
  });

  test('the client: a header-only PNG is refused by size, never reaching the decoder', async () => {
    const body = toRequestBody({ model: 'flux-schnell', prompt: 'x', seed: 1, width: 1280, height: 720, steps: 4 });
    for (const bytes of [pngHeaderOnly(20_000, 20_000), bomb]) {
      const err = await checkImageBody(bytes, 'flux-schnell', body).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImageBodyError);
      // Header-only bytes would be "undecodable" had a decoder seen them.
      expect([(err as ImageBodyError).type, (err as ImageBodyError).message]).toEqual([
        'ProviderWrongSize',
        expect.stringMatching(/^returned an image too large to decode: 20000×20000 .*refused from its header/),
      ]);
    }
  });

  test('scoring: the header check refuses it before libvips reads it', async () => {
    const p = tinyModelPreprocessing();
    for (const [bytes, expected] of [
      [pngHeaderOnly(20_000, 20_000), thumb],
      [pngHeaderOnly(20_000, 20_000), undefined],
      [bomb, undefined],
      [mid, undefined],
    ] as const) {
      const err = await checkImageHeader(bytes, expected, 'image 0').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImageRejectedError);
      expect([(err as ImageRejectedError).problem, (err as ImageRejectedError).message]).toEqual([
        'wrong-size',
        expect.stringMatching(/^image 0 is too large to decode: .* refused from its header/),
      ]);
    }
    await expect(decodeImage(mid, p)).rejects.toThrow(/too large to decode/);
  });

  test('the output writer: winner, preview and tile stop at the pixel limit', async () => {
    for (const make of [() => fitWinner(mid, 1280, 720), () => makePreview(mid), () => makeTile(mid, 176, 99)]) {
      await expect(make()).rejects.toThrow(/exceeds pixel limit/);
    }
  });
});
