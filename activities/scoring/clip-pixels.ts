import { inputSize, type ClipPreprocessing } from './clip-preprocessing.js';
import type { ScoringImage } from './decode-image.js';

/**
 * Centre-crops an image already resized as the CLIP processor does (shortest edge, bicubic:
 * decode-image.ts) and writes rescaled, normalised CHW float32 values into `out` at `offset`, so a
 * batch is built in one buffer without copies.
 */
export function writeClipPixels(image: ScoringImage, p: ClipPreprocessing, out: Float32Array, offset: number): void {
  const { width: cw, height: ch } = inputSize(p);
  if (image.width < cw || image.height < ch) {
    throw new RangeError(`CLIP input needs at least ${cw}x${ch}, the image is ${image.width}x${image.height}`);
  }
  const left = Math.floor((image.width - cw) / 2);
  const top = Math.floor((image.height - ch) / 2);
  const { data } = image;
  const plane = cw * ch;
  for (let c = 0; c < 3; c++) {
    const mean = p.doNormalize ? p.mean[c]! : 0;
    const std = p.doNormalize ? p.std[c]! : 1;
    const base = offset + c * plane;
    for (let y = 0; y < ch; y++) {
      const row = ((top + y) * image.width + left) * 3 + c;
      const to = base + y * cw;
      for (let x = 0; x < cw; x++) out[to + x] = (data[row + x * 3]! * p.rescaleFactor - mean) / std;
    }
  }
}

/** Floats per image in the model input. */
export function clipPixelCount(p: ClipPreprocessing): number {
  const { width, height } = inputSize(p);
  return 3 * width * height;
}
