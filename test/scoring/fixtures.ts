import sharp from 'sharp';
import { mulberry32 as rng } from '../../emulator/prng.js';

export const WIDTH = 512;
export const HEIGHT = 288;

/**
 * A synthetic "scene": a colour gradient with sharp-edged coloured blocks and fine texture, mid-grey
 * on average: the kind of detail and exposure a good thumbnail has.
 */
export function sceneRgb(seed = 1, width = WIDTH, height = HEIGHT): Buffer {
  const random = rng(seed);
  const data = Buffer.alloc(width * height * 3);
  const blocks = Array.from({ length: 14 }, () => ({
    x: Math.floor(random() * width),
    y: Math.floor(random() * height),
    w: 20 + Math.floor(random() * width * 0.25),
    h: 20 + Math.floor(random() * height * 0.3),
    c: [random() * 255, random() * 255, random() * 255],
  }));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      let rgb = [60 + (140 * x) / width, 80 + (100 * y) / height, 170 - (90 * x) / width];
      for (const b of blocks) if (x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h) rgb = b.c;
      const texture = ((x >> 2) + (y >> 2)) % 2 === 0 ? 14 : -14;
      for (let c = 0; c < 3; c++) data[i + c] = Math.max(0, Math.min(255, Math.round(rgb[c]! + texture)));
    }
  }
  return data;
}

const raw = (data: Buffer, width = WIDTH, height = HEIGHT) => sharp(data, { raw: { width, height, channels: 3 } });

export async function scenePng(seed = 1): Promise<Buffer> {
  return raw(sceneRgb(seed)).png().toBuffer();
}

export async function sceneJpeg(seed = 1): Promise<Buffer> {
  return raw(sceneRgb(seed)).jpeg({ quality: 92 }).toBuffer();
}

export async function sceneWebp(seed = 1): Promise<Buffer> {
  return raw(sceneRgb(seed)).webp({ quality: 90 }).toBuffer();
}

/** The same scene, Gaussian-blurred (sigma 4): what an out-of-focus draft looks like. */
export async function blurredScenePng(seed = 1): Promise<Buffer> {
  return raw(sceneRgb(seed)).blur(4).png().toBuffer();
}

/** The same scene at 4% brightness: nearly black. */
export async function darkScenePng(seed = 1): Promise<Buffer> {
  return raw(sceneRgb(seed)).linear(0.04, 0).png().toBuffer();
}

/** The scene with a half-transparent alpha channel (exercises flattening). */
export async function sceneWithAlphaPng(seed = 1): Promise<Buffer> {
  return raw(sceneRgb(seed)).ensureAlpha(0.5).png().toBuffer();
}

export async function wrongSizePng(): Promise<Buffer> {
  return raw(sceneRgb(1, 320, 240), 320, 240)
    .png()
    .toBuffer();
}

/** Low-frequency colour waves only: resamplers agree on it, so it isolates layout, crop and normalisation. */
export async function smoothPng(width = WIDTH, height = HEIGHT): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = Math.round(128 + 100 * Math.sin(x / 45));
      data[i + 1] = Math.round(128 + 100 * Math.cos(y / 35));
      data[i + 2] = Math.round((255 * x) / width);
    }
  }
  return raw(data, width, height).png().toBuffer();
}
