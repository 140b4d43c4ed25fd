import sharp from 'sharp';

/** The formats the providers return; anything else is a provider or storage fault. */
export const ACCEPTED_FORMATS = ['jpeg', 'png', 'webp'] as const;
export type ImageFormat = (typeof ACCEPTED_FORMATS)[number];

/** One decoded image: 8-bit sRGB, 3 channels, row-major, alpha already flattened. */
export interface DecodedImage {
  width: number;
  height: number;
  format: ImageFormat;
  data: Buffer;
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
 * Decodes the encoded bytes exactly once. The size and format are checked from the header first, so a
 * wrong-size or foreign file is rejected without decoding its pixels.
 */
export async function decodeImage(
  bytes: Uint8Array,
  expected?: { width: number; height: number },
  label = 'image'
): Promise<DecodedImage> {
  return decodePixels(bytes, await checkImageHeader(bytes, expected, label), label);
}

/**
 * The header check alone (format and size, no pixels decoded): scoring runs it on every candidate
 * before decoding any, so a foreign or wrong-size file fails before work is spent on the others.
 */
export async function checkImageHeader(
  bytes: Uint8Array,
  expected: { width: number; height: number } | undefined,
  label: string
): Promise<ImageFormat> {
  let meta: sharp.Metadata;
  try {
    meta = await sharp(bytes).metadata();
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
  return format as ImageFormat;
}

/** Decodes the pixels of bytes whose header {@link checkImageHeader} accepted. */
export async function decodePixels(bytes: Uint8Array, format: ImageFormat, label: string): Promise<DecodedImage> {
  try {
    const { data, info } = await sharp(bytes)
      .flatten({ background: FLATTEN_BACKGROUND })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
    return { width: info.width, height: info.height, format, data };
  } catch (err) {
    throw new ImageRejectedError('not-an-image', `${label} could not be decoded: ${(err as Error).message}`);
  }
}

/** A sharp pipeline over the decoded pixels (no second decode of the encoded file). */
export function fromDecoded(image: DecodedImage): sharp.Sharp {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
}
