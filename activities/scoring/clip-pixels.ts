import { inputSize, type ClipPreprocessing } from './clip-preprocessing.js';
import { fromDecoded, type DecodedImage } from './decode-image.js';

/**
 * Resizes and crops the decoded pixels as the CLIP processor does (shortest edge, bicubic, centre
 * crop), then writes rescaled, normalised CHW float32 values into `out` at `offset`, so a batch
 * is built in one buffer without copies.
 */
export async function writeClipPixels(
  image: DecodedImage,
  p: ClipPreprocessing,
  out: Float32Array,
  offset: number
): Promise<void> {
  const { width: cw, height: ch } = inputSize(p);
  let pipeline = fromDecoded(image);
  if (p.doResize && p.doCenterCrop) {
    const scale = p.shortestEdge / Math.min(image.width, image.height);
    const rw = Math.max(cw, Math.round(image.width * scale));
    const rh = Math.max(ch, Math.round(image.height * scale));
    pipeline = pipeline
      .resize(rw, rh, { fit: 'fill', kernel: 'cubic' })
      .extract({ left: Math.floor((rw - cw) / 2), top: Math.floor((rh - ch) / 2), width: cw, height: ch });
  } else {
    pipeline = pipeline.resize(cw, ch, { fit: 'fill', kernel: 'cubic' });
  }
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  if (info.width !== cw || info.height !== ch || info.channels !== 3) {
    throw new Error(`CLIP input came out ${info.width}x${info.height}x${info.channels}, expected ${cw}x${ch}x3`);
  }
  const plane = cw * ch;
  for (let c = 0; c < 3; c++) {
    const mean = p.doNormalize ? p.mean[c]! : 0;
    const std = p.doNormalize ? p.std[c]! : 1;
    const base = offset + c * plane;
    for (let i = 0; i < plane; i++) out[base + i] = (data[i * 3 + c]! * p.rescaleFactor - mean) / std;
  }
}

/** Floats per image in the model input. */
export function clipPixelCount(p: ClipPreprocessing): number {
  const { width, height } = inputSize(p);
  return 3 * width * height;
}
