/**
 * Segmind's price card for the Flux models: the seed article's five plus `fast-flux-schnell` (from
 * Segmind's model page), with each model's request parameters. Pure and sandbox-safe: workflows, activities, the emulator and the CLI
 * all read the same table.
 *
 * Money is carried as integer micro-dollars (shared/money.ts); dollars appear only at the edges.
 */

// The money helpers live in shared/money.ts; re-exported for the modules that still import them from here.

export const FLUX_MODELS = [
  'flux-schnell',
  'fast-flux-schnell',
  'flux-dev',
  'flux-1.1-pro',
  'flux-pro',
  'flux-1.1-pro-ultra',
] as const;
export type FluxModel = (typeof FLUX_MODELS)[number];

export type Pricing =
  | {
      mode: 'gpu-second';
      microsPerGpuSecond: number;
      /** Typical GPU time of one image: a fixed part (text encoders, VAE) plus a part per step. */
      baseGpuSeconds: number;
      gpuSecondsPerStep: number;
    }
  | { mode: 'flat'; microsPerImage: number };

export type PricingMode = Pricing['mode'];

export const ASPECT_RATIOS = ['1:1', '16:9', '9:16', '4:3', '3:4', '3:2', '2:3', '4:5', '5:4', '21:9', '9:21'] as const;
export type AspectRatio = (typeof ASPECT_RATIOS)[number];

export const OUTPUT_FORMATS = ['jpg', 'png'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** How a model is told what size to make. */
export type SizeControl =
  | { kind: 'pixels'; min: number; max: number; multipleOf: number; defaultWidth: number; defaultHeight: number }
  | { kind: 'aspect-ratio'; megapixels: number; defaultAspectRatio: AspectRatio };

export interface IntRange {
  min: number;
  max: number;
  default: number;
}

export interface ModelSpec {
  id: FluxModel;
  pricing: Pricing;
  /** The average cost per image the seed article (or the model's page) quotes, in micro-dollars. */
  averageMicros: number;
  /** What the seed recommends the model for. */
  bestFor: string;
  size: SizeControl;
  /** Absent when the model does not take a step count. */
  steps?: IntRange;
  /** Absent when the model does not take a guidance value. */
  guidance?: { min: number; max: number; default: number };
  /** Output format/quality parameters are taken by the pro endpoints only. */
  outputFormat?: { default: OutputFormat; quality: IntRange };
  maxPromptChars: number;
  maxSeed: number;
}

/*
 * GPU time per image, fitted to the seed's two averages with one per-step cost for its two
 * per-second models (same Flux backbone): schnell at 4 steps ≈ 1.1 s ≈ $0.008 and dev at
 * 25 steps ≈ 2.78 s ≈ $0.020 give 0.78 s fixed + 0.08 s per step.
 */
const PER_SECOND = {
  mode: 'gpu-second',
  microsPerGpuSecond: 7_200,
  baseGpuSeconds: 0.78,
  gpuSecondsPerStep: 0.08,
} as const;

/*
 * fast-flux-schnell, from its Segmind page (2026): ~$0.0055 an image in ~2.5 s, schnell's 1–8 steps,
 * billed per GPU-second. Assumed: the 2.5 s is the billed GPU time of a default (4-step) image, so
 * the page's two figures give the endpoint's own rate, $0.0055 / 2.5 s = $0.0022 per GPU-second; and
 * the time splits into a fixed and a per-step part in schnell's proportion (Segmind publishes no
 * split): 1.78 s + 0.18 s per step. The pages do not say how much of their latency is billed
 * (schnell's ~10 s is far above its fitted 1.1 s), so these GPU-seconds may be high; the cost of a
 * default image is the page's either way, and a step costs the same share of it as on schnell.
 */
const FAST_PER_SECOND = {
  mode: 'gpu-second',
  microsPerGpuSecond: 2_200,
  baseGpuSeconds: 1.78,
  gpuSecondsPerStep: 0.18,
} as const;

const MAX_SEED = 4_294_967_295;
const MAX_PROMPT_CHARS = 2_000;

export const PRICE_CARD: Readonly<Record<FluxModel, ModelSpec>> = {
  'flux-schnell': {
    id: 'flux-schnell',
    pricing: PER_SECOND,
    averageMicros: 8_000,
    bestFor: 'fast drafts, thumbnails, batch variants, internal tools',
    size: { kind: 'pixels', min: 256, max: 2048, multipleOf: 16, defaultWidth: 1024, defaultHeight: 1024 },
    steps: { min: 1, max: 8, default: 4 },
    maxPromptChars: MAX_PROMPT_CHARS,
    maxSeed: MAX_SEED,
  },
  'fast-flux-schnell': {
    id: 'fast-flux-schnell',
    pricing: FAST_PER_SECOND,
    averageMicros: 5_500,
    bestFor: 'cheaper, faster drafts (schnell on a faster endpoint)',
    size: { kind: 'pixels', min: 256, max: 2048, multipleOf: 16, defaultWidth: 1024, defaultHeight: 1024 },
    steps: { min: 1, max: 8, default: 4 },
    maxPromptChars: MAX_PROMPT_CHARS,
    maxSeed: MAX_SEED,
  },
  'flux-dev': {
    id: 'flux-dev',
    pricing: PER_SECOND,
    averageMicros: 20_000,
    bestFor: 'mid-quality production work, A/B variants',
    size: { kind: 'pixels', min: 256, max: 2048, multipleOf: 16, defaultWidth: 1024, defaultHeight: 1024 },
    steps: { min: 1, max: 50, default: 25 },
    guidance: { min: 1, max: 10, default: 3.5 },
    maxPromptChars: MAX_PROMPT_CHARS,
    maxSeed: MAX_SEED,
  },
  'flux-1.1-pro': {
    id: 'flux-1.1-pro',
    pricing: { mode: 'flat', microsPerImage: 50_000 },
    averageMicros: 50_000,
    bestFor: 'client-facing assets, marketing and social creatives',
    size: { kind: 'aspect-ratio', megapixels: 1, defaultAspectRatio: '1:1' },
    outputFormat: { default: 'jpg', quality: { min: 1, max: 100, default: 95 } },
    maxPromptChars: MAX_PROMPT_CHARS,
    maxSeed: MAX_SEED,
  },
  'flux-pro': {
    id: 'flux-pro',
    pricing: { mode: 'flat', microsPerImage: 69_000 },
    averageMicros: 67_000,
    bestFor: 'fine step and guidance control for intricate scenes',
    size: { kind: 'aspect-ratio', megapixels: 1, defaultAspectRatio: '1:1' },
    steps: { min: 1, max: 50, default: 25 },
    guidance: { min: 1.5, max: 5, default: 3 },
    outputFormat: { default: 'jpg', quality: { min: 1, max: 100, default: 95 } },
    maxPromptChars: MAX_PROMPT_CHARS,
    maxSeed: MAX_SEED,
  },
  'flux-1.1-pro-ultra': {
    id: 'flux-1.1-pro-ultra',
    pricing: { mode: 'flat', microsPerImage: 75_000 },
    averageMicros: 75_000,
    bestFor: 'high-resolution hero visuals, print, concept boards',
    size: { kind: 'aspect-ratio', megapixels: 4, defaultAspectRatio: '1:1' },
    outputFormat: { default: 'jpg', quality: { min: 1, max: 100, default: 95 } },
    maxPromptChars: MAX_PROMPT_CHARS,
    maxSeed: MAX_SEED,
  },
};

export function isFluxModel(value: unknown): value is FluxModel {
  return typeof value === 'string' && (FLUX_MODELS as readonly string[]).includes(value);
}

/** Cost of one billed call in micro-dollars: GPU-seconds × rate for per-second models, the flat fee otherwise. */
export function callCostMicros(model: FluxModel, gpuSeconds?: number): number {
  const pricing = PRICE_CARD[model].pricing;
  if (pricing.mode === 'flat') return pricing.microsPerImage;
  if (gpuSeconds === undefined || !Number.isFinite(gpuSeconds) || gpuSeconds < 0) {
    throw new RangeError(`${model} bills per GPU-second; gpuSeconds must be a non-negative number, got ${gpuSeconds}`);
  }
  return Math.round(gpuSeconds * pricing.microsPerGpuSecond);
}

/** Typical GPU-seconds of one image on a per-second model (undefined for flat-priced models). */
export function expectedGpuSeconds(model: FluxModel, steps?: number): number | undefined {
  const spec = PRICE_CARD[model];
  if (spec.pricing.mode === 'flat') return undefined;
  const s = steps ?? spec.steps?.default ?? 4;
  return Math.round((spec.pricing.baseGpuSeconds + spec.pricing.gpuSecondsPerStep * s) * 1000) / 1000;
}

/** Expected cost of one image at a step count (per-second models) or the flat fee. */
export function expectedCostMicros(model: FluxModel, steps?: number): number {
  return callCostMicros(model, expectedGpuSeconds(model, steps));
}

/** Output size of an aspect-ratio model: about `megapixels` MP, both sides multiples of 16. */
export function aspectRatioSize(ratio: AspectRatio, megapixels: number): { width: number; height: number } {
  const [w, h] = ratio.split(':').map(Number) as [number, number];
  const area = megapixels * 1024 * 1024;
  const round16 = (x: number): number => Math.max(16, Math.round(x / 16) * 16);
  return { width: round16(Math.sqrt((area * w) / h)), height: round16(Math.sqrt((area * h) / w)) };
}
