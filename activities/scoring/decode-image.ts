import sharp from 'sharp';
import { oversizeProblem, pixelLimit, readDeclaredImage } from '../image-bounds.js';
import { resizedSize, type ClipPreprocessing } from './clip-preprocessing.js';

/** The formats the providers return; anything else is a provider or storage fault. */
export const ACCEPTED_FORMATS = ['jpeg', 'png', 'webp'] as const;

/**
 * One image as scoring sees it: 8-bit sRGB, 3 channels, row-major, alpha already flattened, at the
 * size the CLIP preprocessing resizes to before its centre crop (shortest side 224 px for ViT-B/32:
 * 398×224 for a 16:9 thumbnail). CLIP's input is cropped from it and the pixel statistics are
 * measured on it, so the full-resolution pixels are never held.
 */
export interface ScoringImage {
  width: number;
  height: number;
  data: Buffer;
}

/** What the header says, read without decoding pixels (the format is checked, not kept). */
export interface ImageHeader {
  width: number;
  height: number;
}

export type ImageProblem = 'not-an-image' | 'unsupported-format' | 'wrong-size';

export class ImageRejectedError extends Error {
  override readonly name = 'ImageRejectedError';
  constructor(
    readonly problem: ImageProblem,
    message: string
  ) {
    super(message);
  }
}

/**
 * Transparent areas are composited on white before scoring: CLIP and the pixel statistics see the
 * image as it would look on a light page rather than whatever colour the transparent pixels hold.
 */
export const FLATTEN_BACKGROUND = { r: 255, g: 255, b: 255 };

/**
 * Decodes the encoded bytes once, straight to the scoring size. The size and format are checked from
 * the header first, so a wrong-size or foreign file is rejected without decoding its pixels.
 */
export async function decodeImage(
  bytes: Uint8Array,
  p: ClipPreprocessing,
  expected?: { width: number; height: number },
  label = 'image'
): Promise<ScoringImage> {
  return decodePixels(bytes, await checkImageHeader(bytes, expected, label), p, label);
}

/**
 * The header check alone (format and size, no pixels decoded): scoring runs it on every candidate
 * before decoding any, so a foreign or wrong-size file fails before work is spent on the others.
 */
export async function checkImageHeader(
  bytes: Uint8Array,
  expected: { width: number; height: number } | undefined,
  label: string
): Promise<ImageHeader> {
  // The declared size first, without libvips: a decompression bomb is refused before any decoder
  // sees it. Other formats (refused below) are held to the same limit by libvips itself.
  const declared = readDeclaredImage(bytes);
  const tooLarge = declared && oversizeProblem(declared, expected);
  if (tooLarge) throw new ImageRejectedError('wrong-size', `${label} is too large to decode: ${tooLarge}`);
  let meta: sharp.Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: pixelLimit(expected) }).metadata();
  } catch (err) {
    throw new ImageRejectedError(
      'not-an-image',
      `${label} is not a readable image (${bytes.byteLength} bytes): ${(err as Error).message}`
    );
  }
  const format = meta.format as string | undefined;
  if (!format || !(ACCEPTED_FORMATS as readonly string[]).includes(format)) {
    throw new ImageRejectedError(
      'unsupported-format',
      `${label} is ${format ?? 'of unknown format'}; scoring accepts ${ACCEPTED_FORMATS.join(', ')}`
    );
  }
  if (expected && (meta.width !== expected.width || meta.height !== expected.height)) {
    throw new ImageRejectedError(
      'wrong-size',
      `${label} is ${meta.width}x${meta.height}, expected ${expected.width}x${expected.height}`
    );
  }
  return { width: meta.width, height: meta.height };
}

/**
 * Decodes the pixels of bytes whose header {@link checkImageHeader} accepted, resized in the same
 * libvips pipeline to the CLIP resize size: the decoder streams into the bicubic reduction, so the
 * full-resolution image is never materialised (about half the CPU of decoding it and resizing the
 * copy, with bit-identical output). No shrink-on-load: the JPEG decoder's own downscaling would
 * change the pixels CLIP sees (up to 30 levels) for ~1 ms an image.
 */
export async function decodePixels(
  bytes: Uint8Array,
  header: ImageHeader,
  p: ClipPreprocessing,
  label: string
): Promise<ScoringImage> {
  const size = resizedSize(p, header.width, header.height);
  try {
    // The header was checked against the expected size; the limit keeps libvips to what it declared.
    const { data, info } = await sharp(bytes, { limitInputPixels: pixelLimit(header) })
      .flatten({ background: FLATTEN_BACKGROUND })
      .toColourspace('srgb')
      .removeAlpha()
      .resize(size.width, size.height, { fit: 'fill', kernel: 'cubic', fastShrinkOnLoad: false })
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
    return { width: info.width, height: info.height, data };
  } catch (err) {
    throw new ImageRejectedError('not-an-image', `${label} could not be decoded: ${(err as Error).message}`);
  }
}
