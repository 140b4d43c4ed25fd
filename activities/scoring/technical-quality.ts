import type { TechnicalQuality } from '../../shared/scoring.js';
import type { ScoringImage } from './decode-image.js';

export interface TechnicalWeights {
  sharpness: number;
  noise: number;
  exposure: number;
  contrast: number;
  colourfulness: number;
}

export const DEFAULT_TECHNICAL_WEIGHTS: Readonly<TechnicalWeights> = Object.freeze({
  sharpness: 0.35,
  // As much as sharpness: both are whether the image's detail is real. With 0.35 of 1.35, a noisy
  // emulator draft (noise component 0.36–0.70) scores 0.08–0.17 below clean drafts of its prompt, where
  // without it noisy drafts scored higher (issue 19: 0.926 against 0.918 on average).
  noise: 0.35,
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
export const CURVES = {
  laplacianHalf: 210,
  contrastFull: 0.25,
  colourfulnessFull: 60,
  clipLow: 2,
  clipHigh: 253,
  /**
   * Noise sigma (luma 0–255, white-noise equivalent at the analysis size) where the noise component
   * is 0.5, through 1 / (1 + (σ / 4.5)⁴). Measured at 398×224 / 224 high: clean emulator drafts
   * 0.24–0.43; clean real photographs (test/fixtures/photos) 1.9–2.5 — fur, wood grain and JPEG, not
   * noise, so the fourth power keeps them at 0.91 or more; noisy emulator drafts 3.6–5.2 (→ 0.70–0.36);
   * the photographs with Gaussian noise of sigma 10 added before scoring 4.6–6.0, of sigma 20 7–10.
   */
  noiseHalf: 4.5,
};

/** Bins of |Laplacian| for its median: 1/8 luma step, up to 512 (a median above that is all noise). */
const MEDIAN_BINS = 4096;
const MEDIAN_BIN_WIDTH = 1 / 8;
/** median(|x|) / 0.6745 is σ for a zero-mean Gaussian x (MAD consistency constant). */
const MAD_TO_SIGMA = 1 / 0.6745;
/** The 4-neighbour Laplacian of white noise of σ has standard deviation √20 σ (1+1+1+1+16). */
const LAPLACIAN_NOISE_GAIN = Math.sqrt(20);

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

  // Variance of the 4-neighbour Laplacian over interior pixels (Pech-Pacheco et al. 2000), and a
  // histogram of its magnitude for the median (one pass; a sort would cost more than the rest).
  let sumL = 0;
  let sumL2 = 0;
  let count = 0;
  const bins = new Uint32Array(MEDIAN_BINS);
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const l = luma[i - 1]! + luma[i + 1]! + luma[i - width]! + luma[i + width]! - 4 * luma[i]!;
      sumL += l;
      sumL2 += l * l;
      count++;
      const bin = Math.floor(Math.abs(l) / MEDIAN_BIN_WIDTH);
      bins[bin < MEDIAN_BINS ? bin : MEDIAN_BINS - 1]!++;
    }
  }
  const meanL = count > 0 ? sumL / count : 0;
  const laplacianVariance = count > 0 ? Math.max(0, sumL2 / count - meanL * meanL) : 0;
  // Noise and edges both raise the Laplacian's variance, which is why it rewarded noisy drafts. They
  // differ in shape: noise moves every pixel a little (a Gaussian bulk), edges move few pixels a lot
  // (heavy tails). The median absolute Laplacian sees only the bulk, so (MAD / 0.6745)² is the
  // variance the bulk (noise, plus fine texture) explains, and what is left over is the edges': that
  // excess is what sharpness measures. On the photographs in test/fixtures/photos, added Gaussian
  // noise raised the plain variance (chelsea 330 → 6474 at sigma 40) and lowers the excess (258 → 62).
  const robustLaplacianSigma = medianOfBins(bins, count) * MAD_TO_SIGMA;
  const edgeVariance = Math.max(0, laplacianVariance - robustLaplacianSigma ** 2);
  // The luma noise sigma that would give that bulk if it were white noise (Immerkær 1996 estimates
  // the same from a 3×3 kernel's mean response; the median ignores the edges his mean counts).
  const noiseSigma = robustLaplacianSigma / LAPLACIAN_NOISE_GAIN;

  const meanLuminance = meanY / 255;
  const clippedFraction = clipped / n;
  // Noise adds its variance to luma's, so contrast counts only the rest (a clean image's estimate,
  // 0.2–2.5, takes nothing measurable off a luma deviation of tens).
  const rmsContrast = Math.sqrt(Math.max(0, stdY * stdY - noiseSigma * noiseSigma)) / 255;
  // K 210 was set on the plain variance; on clean drafts the bulk is 1–4 against 1000–2400, so the
  // excess reads the same there (see CURVES).
  const sharpness = edgeVariance / (edgeVariance + CURVES.laplacianHalf);
  const noise = 1 / (1 + (noiseSigma / CURVES.noiseHalf) ** 4);
  // Best at mid-grey, 0 at pure black or white; clipped shadows and highlights cost what they cover.
  const exposure = clamp01(1 - ((meanLuminance - 0.5) / 0.5) ** 2) * (1 - clippedFraction);
  const contrast = clamp01(rmsContrast / CURVES.contrastFull);
  const colourfulness = clamp01(colourfulnessM / CURVES.colourfulnessFull);
  const total = weights.sharpness + weights.noise + weights.exposure + weights.contrast + weights.colourfulness;
  const score =
    (weights.sharpness * sharpness +
      weights.noise * noise +
      weights.exposure * exposure +
      weights.contrast * contrast +
      weights.colourfulness * colourfulness) /
    total;
  return {
    score,
    sharpness,
    noise,
    exposure,
    contrast,
    colourfulness,
    raw: {
      laplacianVariance,
      edgeVariance,
      noiseSigma,
      meanLuminance,
      clippedFraction,
      rmsContrast,
      colourfulness: colourfulnessM,
    },
  };
}

/** The median of the values counted in `bins` (linear within the median's bin). */
function medianOfBins(bins: Uint32Array, count: number): number {
  if (count === 0) return 0;
  const half = count / 2;
  let seen = 0;
  for (let b = 0; b < bins.length; b++) {
    const inBin = bins[b]!;
    if (seen + inBin >= half) return (b + (half - seen) / inBin) * MEDIAN_BIN_WIDTH;
    seen += inBin;
  }
  return bins.length * MEDIAN_BIN_WIDTH;
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
