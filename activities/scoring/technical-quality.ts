import type { TechnicalQuality } from '../../shared/scoring.js';
import type { ScoringImage } from './decode-image.js';

export interface TechnicalWeights {
  sharpness: number;
  exposure: number;
  contrast: number;
  colourfulness: number;
}

export const DEFAULT_TECHNICAL_WEIGHTS: Readonly<TechnicalWeights> = Object.freeze({
  sharpness: 0.35,
  exposure: 0.3,
  contrast: 0.2,
  colourfulness: 0.15,
});

/**
 * Curves from raw statistics to [0, 1]; the constants are where a typical value lands on 0.5 or 1.
 * Laplacian variance K: 210 (at 398×224 a crisp image measures several hundred to thousands, a
 * blurred one tens; 210 keeps the sharpness of 60 emulator drafts within 0.01 on average of what K
 * 250 gave when the statistics were measured at 320×180, where the variance reads 0.835× as high
 * at the median). Contrast: RMS luma 0.25 saturates (natural photos sit around 0.15–0.3).
 * Colourfulness: Hasler–Süsstrunk M of 60 ("highly colourful") saturates.
 */
export const CURVES = { laplacianHalf: 210, contrastFull: 0.25, colourfulnessFull: 60, clipLow: 2, clipHigh: 253 };

const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));

/** Pure statistics over 8-bit RGB pixels (exported for tests). */
export function measureTechnicalQuality(
  rgb: Uint8Array,
  width: number,
  height: number,
  weights: TechnicalWeights = DEFAULT_TECHNICAL_WEIGHTS
): TechnicalQuality {
  const n = width * height;
  const luma = new Float64Array(n);
  let sumY = 0;
  let sumY2 = 0;
  let clipped = 0;
  let sumRg = 0;
  let sumRg2 = 0;
  let sumYb = 0;
  let sumYb2 = 0;
  for (let i = 0; i < n; i++) {
    const r = rgb[i * 3]!;
    const g = rgb[i * 3 + 1]!;
    const b = rgb[i * 3 + 2]!;
    // Rec. 709 luma on the encoded values: what "brightness" means for a displayed thumbnail.
    const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    luma[i] = y;
    sumY += y;
    sumY2 += y * y;
    if (y <= CURVES.clipLow || y >= CURVES.clipHigh) clipped++;
    const rg = r - g;
    const yb = 0.5 * (r + g) - b;
    sumRg += rg;
    sumRg2 += rg * rg;
    sumYb += yb;
    sumYb2 += yb * yb;
  }
  const meanY = sumY / n;
  const stdY = Math.sqrt(Math.max(0, sumY2 / n - meanY * meanY));
  const meanRg = sumRg / n;
  const meanYb = sumYb / n;
  const stdRg = Math.sqrt(Math.max(0, sumRg2 / n - meanRg * meanRg));
  const stdYb = Math.sqrt(Math.max(0, sumYb2 / n - meanYb * meanYb));
  const colourfulnessM = Math.hypot(stdRg, stdYb) + 0.3 * Math.hypot(meanRg, meanYb);

  // Variance of the 4-neighbour Laplacian over interior pixels (Pech-Pacheco et al. 2000).
  let sumL = 0;
  let sumL2 = 0;
  let count = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const l = luma[i - 1]! + luma[i + 1]! + luma[i - width]! + luma[i + width]! - 4 * luma[i]!;
      sumL += l;
      sumL2 += l * l;
      count++;
    }
  }
  const meanL = count > 0 ? sumL / count : 0;
  const laplacianVariance = count > 0 ? Math.max(0, sumL2 / count - meanL * meanL) : 0;

  const meanLuminance = meanY / 255;
  const clippedFraction = clipped / n;
  const rmsContrast = stdY / 255;
  const sharpness = laplacianVariance / (laplacianVariance + CURVES.laplacianHalf);
  // Best at mid-grey, 0 at pure black or white; clipped shadows and highlights cost what they cover.
  const exposure = clamp01(1 - ((meanLuminance - 0.5) / 0.5) ** 2) * (1 - clippedFraction);
  const contrast = clamp01(rmsContrast / CURVES.contrastFull);
  const colourfulness = clamp01(colourfulnessM / CURVES.colourfulnessFull);
  const total = weights.sharpness + weights.exposure + weights.contrast + weights.colourfulness;
  const score =
    (weights.sharpness * sharpness +
      weights.exposure * exposure +
      weights.contrast * contrast +
      weights.colourfulness * colourfulness) /
    total;
  return {
    score,
    sharpness,
    exposure,
    contrast,
    colourfulness,
    raw: { laplacianVariance, meanLuminance, clippedFraction, rmsContrast, colourfulness: colourfulnessM },
  };
}

/**
 * Technical quality of an image as scoring decodes it: at the CLIP resize size (shortest side 224,
 * 398×224 for a 16:9 thumbnail — about the size one is seen at in a feed), so the statistics do not
 * depend on the generation resolution, and cost no resize of their own.
 */
export function technicalQuality(
  image: ScoringImage,
  weights: TechnicalWeights = DEFAULT_TECHNICAL_WEIGHTS
): TechnicalQuality {
  return measureTechnicalQuality(image.data, image.width, image.height, weights);
}
