/**
 * Judging an image body the provider returned: its content type before any of it is read, its size
 * under a cap while it is read, then its header (format, dimensions, the size rule of
 * activities/image-bounds.ts) and one full decode under the same pixel limit, so a truncated or
 * corrupt body fails here and a decompression bomb never reaches the decoder.
 */
import sharp from 'sharp';
import type { BilledCall } from '../../shared/generation.js';
import { imageSizeProblem, nominalImageSize, type SegmindRequestBody } from '../../shared/generation-request.js';
import type { FluxModel } from '../../shared/price-card.js';
import { oversizeProblem, pixelLimit, readDeclaredImage, type DeclaredImage } from '../image-bounds.js';
import { SegmindError } from './errors.js';
import { header, numberHeader } from './headers.js';
import { discard, readCapped, type Exchange, type HttpResponse, type SegmindHttp } from './http.js';
import { boundedText, providerText as errorText } from './provider-text.js';

/** Largest image body read; a 4 MP JPEG/PNG is a few MB. */
export const DEFAULT_MAX_BODY_BYTES = 25 * 1024 * 1024;
/** How much of a refused (non-image) body is read, for the error message only. */
const JUNK_PREFIX_BYTES = 1024;

/** An image the provider returned, decoded and checked, with what its call was billed. */
export interface GeneratedImage {
  bytes: Buffer;
  contentType: string;
  width: number;
  height: number;
  billed: BilledCall;
}

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

/** Refuses a 200 that is not an image, reading at most a small prefix of it for the message. */
export async function junkError(
  http: SegmindHttp,
  ex: Exchange,
  res: HttpResponse,
  contentType: string | undefined,
  billed: BilledCall | undefined
): Promise<SegmindError> {
  let prefix = '';
  try {
    prefix = (await readCapped(res.body, JUNK_PREFIX_BYTES, ex.signal)).bytes.toString('utf8');
  } catch {
    // the message only
  } finally {
    discard(res.body);
  }
  const server = boundedText(header(res.headers, 'server') ?? '', 60);
  return http.fail(
    'ProviderBadImage',
    `${ex.label} answered 200 with ${boundedText(contentType ?? 'no content type', 60)} instead of an image` +
      `${server ? ` (server: ${server})` : ''}: ${errorText(prefix)}`,
    { status: 200, billed }
  );
}

/** Reads an image body under the size cap and the deadline, decodes it and checks its size. */
export async function receiveImage(
  http: SegmindHttp,
  ex: Exchange,
  res: HttpResponse,
  request: { model: FluxModel; body: SegmindRequestBody; maxBodyBytes: number },
  billed: BilledCall
): Promise<GeneratedImage> {
  const { model, body, maxBodyBytes } = request;
  const failInit = { status: 200, billed };
  const declared = numberHeader(res.headers, 'content-length');
  if (declared !== undefined && declared > maxBodyBytes) {
    discard(res.body);
    throw http.fail(
      'ProviderBadImage',
      `${ex.label} image is ${declared} bytes, over the ${maxBodyBytes}-byte cap`,
      failInit
    );
  }
  let bytes: Buffer;
  try {
    const read = await readCapped(res.body, maxBodyBytes, ex.signal);
    if (read.overflow) {
      throw http.fail('ProviderBadImage', `${ex.label} image body exceeded the ${maxBodyBytes}-byte cap`, failInit);
    }
    bytes = read.bytes;
  } catch (err) {
    if (err instanceof SegmindError) throw err;
    discard(res.body);
    if (ex.signal.aborted) throw http.transportError(ex, err, billed);
    const reason = err instanceof Error ? err.message : String(err);
    throw http.fail('ProviderBadImage', `${ex.label} image body was cut off (${reason})`, failInit);
  }
  let width: number;
  let height: number;
  let format: string;
  try {
    ({ width, height, format } = await checkImageBody(bytes, model, body));
  } catch (err) {
    if (!(err instanceof ImageBodyError)) throw err;
    throw http.fail(err.type, `${ex.label} ${err.message}`, failInit);
  }
  return {
    bytes,
    // What the bytes are, not what the answer said: it goes into the blob reference and workflow state.
    contentType: `image/${format}`,
    width,
    height,
    billed,
  };
}
