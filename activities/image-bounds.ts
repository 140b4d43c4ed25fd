/**
 * The one rule for how large a provider image may be, and a header reader that applies it before any
 * pixel is decoded. A few hundred bytes of PNG can declare 20,000 × 20,000 pixels: libvips would then
 * spend seconds of CPU and gigabytes of memory decoding it (sharp's own default ceiling is 268 MP).
 * Every sharp call on provider bytes (the client's check, scoring, the output writer) therefore
 * passes `limitInputPixels` from here, and the callers that know the requested size compare the
 * declared dimensions with it first, from the file's header alone.
 */
import { PRICE_CARD } from '../shared/price-card.js';

/**
 * A provider picks its own output size near the requested one (buckets of ≈1 or ≈4 MP, sides rounded
 * to multiples of 16 or 32: within a few percent of the area). Four times the requested area leaves
 * room for any size it legitimately returns and still refuses a decompression bomb.
 */
export const PROVIDER_AREA_MARGIN = 4;

/**
 * The largest area any model on the price card can be asked for (2048 × 2048, or ≈4 MP for ultra;
 * 5% over the megapixels for the ratio's rounding of its sides to multiples of 16).
 */
function largestRequestedArea(): number {
  return Math.max(
    ...Object.values(PRICE_CARD).map(({ size }) =>
      size.kind === 'pixels' ? size.max * size.max : Math.ceil(size.megapixels * 1024 * 1024 * 1.05)
    )
  );
}

/** The ceiling where the requested size is not known (stored images the output writer re-reads). */
export const MAX_IMAGE_PIXELS = PROVIDER_AREA_MARGIN * largestRequestedArea();

export interface Dimensions {
  width: number;
  height: number;
}

/** Most pixels an image answering a request of `requested` may have; MAX_IMAGE_PIXELS when unknown. */
export function pixelLimit(requested?: Dimensions): number {
  if (!requested) return MAX_IMAGE_PIXELS;
  return Math.min(MAX_IMAGE_PIXELS, PROVIDER_AREA_MARGIN * requested.width * requested.height);
}

export type HeaderFormat = 'jpeg' | 'png' | 'webp';

export interface DeclaredImage extends Dimensions {
  format: HeaderFormat;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function ascii(bytes: Uint8Array, at: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + length));
}

function png(b: Uint8Array, view: DataView): Dimensions | undefined {
  if (b.length < 24 || !PNG_SIGNATURE.every((v, i) => b[i] === v) || ascii(b, 12, 4) !== 'IHDR') return undefined;
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Walks the JPEG markers to the first start-of-frame (SOF0–SOF15 but DHT, JPG and DAC). */
function jpeg(b: Uint8Array, view: DataView): Dimensions | undefined {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return undefined;
  let at = 2;
  while (at + 4 <= b.length) {
    if (b[at] !== 0xff) return undefined;
    const marker = b[at + 1]!;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // no length
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return undefined; // scan or end before any frame
    const length = view.getUint16(at + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (at + 9 > b.length) return undefined;
      return { width: view.getUint16(at + 7), height: view.getUint16(at + 5) };
    }
    at += 2 + length;
  }
  return undefined;
}

function webp(b: Uint8Array, view: DataView): Dimensions | undefined {
  if (b.length < 30 || ascii(b, 0, 4) !== 'RIFF' || ascii(b, 8, 4) !== 'WEBP') return undefined;
  switch (ascii(b, 12, 4)) {
    case 'VP8 ': // lossy: key frame tag (3), start code 9d 01 2a, 14-bit sides
      if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return undefined;
      return { width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff };
    case 'VP8L': {
      // lossless: signature 0x2f, then (width-1) and (height-1) in 14 bits each
      if (b[20] !== 0x2f) return undefined;
      const bits = view.getUint32(21, true);
      return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
    }
    case 'VP8X': {
      // extended: flags (4), then canvas (width-1) and (height-1) in 24 bits each
      const u24 = (at: number): number => b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16);
      return { width: u24(24) + 1, height: u24(27) + 1 };
    }
    default:
      return undefined;
  }
}

/**
 * The format and dimensions a JPEG, PNG or WebP declares, read from its first bytes without a
 * decoder; undefined for anything else (or a header too short to say). The providers return only
 * these three formats.
 */
export function readDeclaredImage(bytes: Uint8Array): DeclaredImage | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const [format, read] of [
    ['png', png],
    ['jpeg', jpeg],
    ['webp', webp],
  ] as const) {
    const size = read(bytes, view);
    if (size) return { format, ...size };
  }
  return undefined;
}

/**
 * Why an image of `size` is too large to decode when `requested` was asked for (undefined when it is
 * not): checked from the header, before any decoder runs.
 */
export function oversizeProblem(size: Dimensions, requested?: Dimensions): string | undefined {
  const limit = pixelLimit(requested);
  const area = size.width * size.height;
  if (area <= limit) return undefined;
  const what = requested
    ? `${PROVIDER_AREA_MARGIN}× the requested ${requested.width}×${requested.height}`
    : 'the largest size any model is asked for';
  return (
    `${size.width}×${size.height} (${area.toLocaleString('en-US')} px) is over the ` +
    `${limit.toLocaleString('en-US')}-pixel limit (${what}); it was refused from its header, undecoded`
  );
}
