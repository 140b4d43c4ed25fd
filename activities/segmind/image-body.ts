/**
 * Judging an image body the provider returned: its header first (format, dimensions, the size rule of
 * activities/image-bounds.ts), then one full decode under the same pixel limit, so a truncated or
 * corrupt body fails here and a decompression bomb never reaches the decoder.
 */
import sharp from 'sharp';
import { imageSizeProblem, nominalImageSize, type SegmindRequestBody } from '../../shared/generation-request.js';
import type { FluxModel } from '../../shared/price-card.js';
import { oversizeProblem, pixelLimit, readDeclaredImage, type DeclaredImage } from '../image-bounds.js';

/**
 * Image bodies are read only when labelled `image/*`. Unlabelled bytes (no content type, or the
 * generic `application/octet-stream` / `binary/octet-stream` an object store uses when the uploader
 * set none) are read too, within the size cap, and judged by the decoder. Anything else (an HTML
 * challenge page, JSON, XML) is refused before its body is read.
 */
export function mayBeImage(contentType: string | undefined): boolean {
  if (contentType === undefined) return true;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return (
    type === '' || type.startsWith('image/') || type === 'application/octet-stream' || type === 'binary/octet-stream'
  );
}

/** Why a body is not a usable image: the failure type and what to say after the call's label. */
export class ImageBodyError extends Error {
  constructor(
    readonly type: 'ProviderBadImage' | 'ProviderWrongSize',
    message: string
  ) {
    super(message);
  }
}

/**
 * The format and dimensions of an image body answering `body`, or an {@link ImageBodyError}. A size problem is
 * `ProviderWrongSize` (deterministic: the same request gets the same size, so it is not bought again),
 * anything unreadable `ProviderBadImage`.
 */
export async function checkImageBody(
  bytes: Buffer,
  model: FluxModel,
  body: SegmindRequestBody
): Promise<DeclaredImage> {
  const declared = readDeclaredImage(bytes);
  if (!declared) {
    throw new ImageBodyError('ProviderBadImage', `returned ${bytes.length} bytes that are not a JPEG, PNG or WebP`);
  }
  const requested = nominalImageSize(model, body);
  const tooLarge = oversizeProblem(declared, requested);
  if (tooLarge) throw new ImageBodyError('ProviderWrongSize', `returned an image too large to decode: ${tooLarge}`);
  const sizeProblem = imageSizeProblem(model, body, declared.width, declared.height);
  if (sizeProblem) throw new ImageBodyError('ProviderWrongSize', `returned ${sizeProblem}`);
  let decoded: sharp.Metadata;
  try {
    // The limit holds even if libvips reads the header otherwise than readDeclaredImage did.
    const image = sharp(bytes, { failOn: 'truncated', limitInputPixels: pixelLimit(requested) });
    decoded = await image.metadata();
    await image.stats(); // forces a full decode: a truncated or corrupt image fails here
  } catch (err) {
    throw new ImageBodyError('ProviderBadImage', `returned an undecodable image: ${(err as Error).message}`);
  }
  if (decoded.width !== declared.width || decoded.height !== declared.height) {
    throw new ImageBodyError(
      'ProviderBadImage',
      `returned an image whose header says ${declared.width}×${declared.height} but decodes as ${decoded.width}×${decoded.height}`
    );
  }
  return declared;
}
