import sharp from 'sharp';
import { sceneRgb as sceneAt } from '../../bench/scene.js';

export const WIDTH = 512;
export const HEIGHT = 288;

const sceneRgb = (seed: number, width = WIDTH, height = HEIGHT): Buffer => sceneAt(seed, width, height);

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
