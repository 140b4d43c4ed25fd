/**
 * Deterministic image for one request: the scene for (prompt, seed, size), degraded as the
 * quality draw for (model, prompt, seed) says, encoded as JPEG or PNG. Same inputs → same bytes
 * (one libvips build; no randomness outside the seeded PRNG).
 */
import sharp from 'sharp';
import type { EmulatedModel, ProviderOutputFormat } from './models.js';
import { paintedText } from './lettering.js';
import { hashSeed, mulberry32 } from './prng.js';
import { draftDefectRates, drawQuality, type Defect } from './quality.js';
import { sceneSvg } from './scene.js';

export interface RenderInput {
  model: EmulatedModel;
  prompt: string;
  seed: number;
  width: number;
  height: number;
  format?: ProviderOutputFormat;
  /** JPEG quality 1–100 (pro models' `output_quality`); drafts use 90. */
  quality?: number;
  /** How uneven draft models are (EmulatorOptions); default: quality.ts's and lettering.ts's rates. */
  draftRates?: DraftRates;
}

/** The emulator's draft quality settings: the share of drafts with a pixel defect and with misspelt lettering. */
export interface DraftRates {
  defectRate?: number;
  misspellingRate?: number;
}

export interface RenderedImage {
  bytes: Buffer;
  contentType: 'image/jpeg' | 'image/png';
  width: number;
  height: number;
  /** Ground truth for tests and the demo: what the quality gate should notice. */
  defect: Defect;
  severity: number;
  /**
   * Ground truth for the text check: the lettering drawn for text the prompt asked for in
   * quotes — upper-cased, and misspelt on a seeded share of drafts (lettering.ts). Absent when the
   * prompt quotes nothing.
   */
  renderedText?: string;
}

const NOISE_TILE = 128;

/** A grey-centred RGB noise tile; composited with `overlay`, so 128 leaves a pixel unchanged. */
function noiseTile(seed: number, amplitude: number): Buffer {
  const rand = mulberry32(seed);
  const buf = Buffer.alloc(NOISE_TILE * NOISE_TILE * 3);
  for (let i = 0; i < buf.length; i++) {
    // Sum of two uniforms: a cheap bell shape.
    const v = 128 + (rand() + rand() - 1) * amplitude;
    buf[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return buf;
}

export async function renderImage(input: RenderInput): Promise<RenderedImage> {
  const { model, prompt, seed, width, height } = input;
  const rates = input.draftRates ?? {};
  const { defect, severity } = drawQuality(
    model,
    prompt,
    seed,
    rates.defectRate === undefined ? undefined : draftDefectRates(rates.defectRate)
  );
  const renderedText = paintedText(model, prompt, seed, rates.misspellingRate);
  // density 72 makes librsvg rasterise at exactly width × height.
  let img = sharp(Buffer.from(sceneSvg(prompt, seed, width, height, renderedText)), { density: 72 }).removeAlpha();
  const u = Math.min(width, height);
  switch (defect) {
    case 'blurred':
      img = img.blur(Math.max(1.5, (u / 70) * severity));
      break;
    case 'noisy':
      img = img.composite([
        {
          input: noiseTile(hashSeed('noise', prompt, seed), 150 * severity),
          raw: { width: NOISE_TILE, height: NOISE_TILE, channels: 3 },
          tile: true,
          blend: 'overlay',
        },
      ]);
      break;
    case 'low-contrast': {
      const a = 0.35 - 0.2 * severity;
      img = img.linear(a, 128 * (1 - a));
      break;
    }
    case 'underexposed':
      img = img.linear(0.3 - 0.15 * severity, 0);
      break;
    case 'overexposed':
      img = img.linear(1.6 + 0.6 * severity, 70 + 50 * severity);
      break;
    case 'clean':
      break;
  }
  const png = input.format === 'png';
  const bytes = png
    ? await img.png({ compressionLevel: 2, adaptiveFiltering: false }).toBuffer()
    : await img.jpeg({ quality: input.quality ?? 90, mozjpeg: false, chromaSubsampling: '4:2:0' }).toBuffer();
  return {
    bytes,
    contentType: png ? 'image/png' : 'image/jpeg',
    width,
    height,
    defect,
    severity,
    ...(renderedText === undefined ? {} : { renderedText }),
  };
}
