/** Image work of the output writer: the delivered winner, the HTML previews and the contact-sheet tiles. */
import sharp from 'sharp';
import { pixelLimit } from '../image-bounds.js';

export const WINNER_JPEG_QUALITY = 90;
const PREVIEW_MAX_SIDE = 320;
const PREVIEW_JPEG_QUALITY = 78;
const TILE_BACKGROUND = { r: 24, g: 24, b: 27 };

/**
 * A stored provider image, opened under the pixel ceiling: the client and scoring checked it against
 * its request, but the store is only a folder, and these calls do not know which size was asked for.
 */
function stored(original: Buffer): sharp.Sharp {
  return sharp(original, { limitInputPixels: pixelLimit() });
}

/**
 * The winner at exactly the brief's size. `cover` crops the small aspect mismatch of the re-roll
 * model (it only offers fixed ratios) instead of stretching or letterboxing.
 */
export async function fitWinner(original: Buffer, width: number, height: number): Promise<Buffer> {
  return stored(original)
    .resize(width, height, { fit: 'cover', position: 'centre' })
    .flatten({ background: '#ffffff' })
    .jpeg({ quality: WINNER_JPEG_QUALITY })
    .toBuffer();
}

/** A small JPEG for the HTML contact sheet. */
export async function makePreview(original: Buffer): Promise<Buffer> {
  return stored(original)
    .resize(PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#ffffff' })
    .jpeg({ quality: PREVIEW_JPEG_QUALITY })
    .toBuffer();
}

/** Raw RGB pixels of the original letterboxed into a width×height tile of the contact-sheet image. */
export async function makeTile(original: Buffer, width: number, height: number): Promise<Buffer> {
  return stored(original)
    .resize(width, height, { fit: 'contain', background: TILE_BACKGROUND })
    .flatten({ background: TILE_BACKGROUND })
    .removeAlpha()
    .raw()
    .toBuffer();
}
