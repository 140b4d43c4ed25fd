/**
 * Whether sharp (librsvg + fontconfig) can draw SVG text on this machine. Without fonts, librsvg
 * silently draws nothing, so the contact-sheet image probes once and falls back to bars and colours.
 */
import sharp from 'sharp';

const PROBE_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="48" height="20"><rect width="48" height="20" fill="#fff"/>' +
  '<text x="2" y="16" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" font-size="16" fill="#000">0.88</text></svg>';

let probe: Promise<boolean> | undefined;

async function probeTextRendering(): Promise<boolean> {
  try {
    const { data, info } = await sharp(Buffer.from(PROBE_SVG)).greyscale().raw().toBuffer({ resolveWithObject: true });
    let dark = 0;
    for (let i = 0; i < data.length; i += info.channels) if ((data[i] ?? 255) < 128) dark += 1;
    // Four glyphs at 16 px cover far more than 20 pixels; a blank or near-blank probe means no usable font.
    return dark >= 20;
  } catch {
    return false;
  }
}

export function canRenderText(): Promise<boolean> {
  probe ??= probeTextRendering();
  return probe;
}

/** The font stack used for every text the images draw. */
export const FONT_FAMILY = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';
