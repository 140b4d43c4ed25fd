/**
 * The provider's side of the contract, owned by the emulator: which Flux models it serves, what
 * each one costs, which parameters it takes and how it checks them. Written from Segmind's model
 * pages, NOT imported from the client (`shared/`): the emulator imitates the service, so a client
 * that drifts from the service must see it fail here the way it would in production.
 *
 * Money is integer micro-dollars (1 USD = 1,000,000).
 */

export const EMULATED_MODELS = [
  'flux-schnell',
  'fast-flux-schnell',
  'flux-dev',
  'flux-1.1-pro',
  'flux-pro',
  'flux-1.1-pro-ultra',
] as const;
export type EmulatedModel = (typeof EMULATED_MODELS)[number];

export function isEmulatedModel(value: unknown): value is EmulatedModel {
  return typeof value === 'string' && (EMULATED_MODELS as readonly string[]).includes(value);
}

/** Aspect ratios the pro endpoints accept. */
export const PROVIDER_ASPECT_RATIOS = [
  '1:1',
  '16:9',
  '9:16',
  '4:3',
  '3:4',
  '3:2',
  '2:3',
  '4:5',
  '5:4',
  '21:9',
  '9:21',
] as const;
export type ProviderAspectRatio = (typeof PROVIDER_ASPECT_RATIOS)[number];

export const PROVIDER_OUTPUT_FORMATS = ['jpg', 'png'] as const;
export type ProviderOutputFormat = (typeof PROVIDER_OUTPUT_FORMATS)[number];

export type ProviderPrice =
  /** Billed on simulated GPU time; typical time = base + perStep × steps. */
  | { mode: 'gpu-second'; microsPerGpuSecond: number; baseGpuSeconds: number; gpuSecondsPerStep: number }
  | { mode: 'flat'; microsPerImage: number };

interface Range {
  min: number;
  max: number;
  default: number;
}

export interface ProviderModel {
  price: ProviderPrice;
  /** `pixels`: width/height in [min, max]; `aspect-ratio`: the provider picks the size. */
  size:
    | { kind: 'pixels'; min: number; max: number; defaultWidth: number; defaultHeight: number }
    | { kind: 'aspect-ratio'; defaultRatio: ProviderAspectRatio };
  steps?: Range;
  guidance?: Range;
  /** output_format / output_quality (pro endpoints only). */
  output?: { defaultFormat: ProviderOutputFormat; quality: Range };
  maxPromptChars: number;
  maxSeed: number;
}

const PER_SECOND: ProviderPrice = {
  mode: 'gpu-second',
  microsPerGpuSecond: 7_200,
  baseGpuSeconds: 0.78,
  gpuSecondsPerStep: 0.08,
};
/**
 * fast-flux-schnell's page: ~$0.0055 an image in ~2.5 s, billed per GPU-second. The emulator takes the
 * 2.5 s as the GPU time of a default (4-step) image, split like schnell's (1.78 s + 0.18 s a step), at
 * the rate that makes it cost the page's price: $0.0055 / 2.5 s = $0.0022 per GPU-second. GPU time
 * drives latency too, so it renders in ≈2.5 s at latencyScale 1.
 */
const FAST_PER_SECOND: ProviderPrice = {
  mode: 'gpu-second',
  microsPerGpuSecond: 2_200,
  baseGpuSeconds: 1.78,
  gpuSecondsPerStep: 0.18,
};
const PIXELS = { kind: 'pixels', min: 256, max: 2048, defaultWidth: 1024, defaultHeight: 1024 } as const;
const RATIO = { kind: 'aspect-ratio', defaultRatio: '1:1' } as const;
const OUTPUT = { defaultFormat: 'jpg', quality: { min: 1, max: 100, default: 95 } } as const;
const COMMON = { maxPromptChars: 2_000, maxSeed: 4_294_967_295 } as const;

/** The provider's price list and parameter table. */
export const PROVIDER_MODELS: Readonly<Record<EmulatedModel, ProviderModel>> = {
  'flux-schnell': { price: PER_SECOND, size: PIXELS, steps: { min: 1, max: 8, default: 4 }, ...COMMON },
  'fast-flux-schnell': { price: FAST_PER_SECOND, size: PIXELS, steps: { min: 1, max: 8, default: 4 }, ...COMMON },
  'flux-dev': {
    price: PER_SECOND,
    size: PIXELS,
    steps: { min: 1, max: 50, default: 25 },
    guidance: { min: 1, max: 10, default: 3.5 },
    ...COMMON,
  },
  'flux-1.1-pro': { price: { mode: 'flat', microsPerImage: 50_000 }, size: RATIO, output: OUTPUT, ...COMMON },
  'flux-pro': {
    price: { mode: 'flat', microsPerImage: 69_000 },
    size: RATIO,
    steps: { min: 1, max: 50, default: 25 },
    guidance: { min: 1.5, max: 5, default: 3 },
    output: OUTPUT,
    ...COMMON,
  },
  'flux-1.1-pro-ultra': { price: { mode: 'flat', microsPerImage: 75_000 }, size: RATIO, output: OUTPUT, ...COMMON },
};

/** Typical GPU-seconds at a step count (per-second models), ms precision; undefined for flat models. */
export function typicalGpuSeconds(model: EmulatedModel, steps?: number): number | undefined {
  const spec = PROVIDER_MODELS[model];
  if (spec.price.mode === 'flat') return undefined;
  const s = steps ?? spec.steps?.default ?? 4;
  return Math.round((spec.price.baseGpuSeconds + spec.price.gpuSecondsPerStep * s) * 1000) / 1000;
}

/** What the provider bills for one job. */
export function billMicros(model: EmulatedModel, gpuSeconds: number): number {
  const price = PROVIDER_MODELS[model].price;
  return price.mode === 'flat' ? price.microsPerImage : Math.round(gpuSeconds * price.microsPerGpuSecond);
}

/** What admission holds against the balance: the typical cost at the requested steps. */
export function typicalMicros(model: EmulatedModel, steps?: number): number {
  return billMicros(model, typicalGpuSeconds(model, steps) ?? 0);
}

/** `0.007920`: exact 6-decimal USD from micro-dollars (integer arithmetic). */
export function usdString(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(Math.round(micros));
  return `${sign}${Math.floor(abs / 1_000_000)}.${String(abs % 1_000_000).padStart(6, '0')}`;
}

export function usdNumber(micros: number): number {
  return Math.round(micros) / 1_000_000;
}

export function microsFromUsd(usd: number): number {
  return Math.round(usd * 1_000_000);
}

function intProblem(field: string, value: unknown, min: number, max: number): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    return `${field} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`;
  }
  return undefined;
}

/**
 * The provider's parameter check: every problem, each naming its field. Width/height need not be
 * multiples of anything: the service rounds them (see sizes.ts) rather than refusing them.
 */
export function checkParameters(model: EmulatedModel, body: Record<string, unknown>): string[] {
  const spec = PROVIDER_MODELS[model];
  const problems: string[] = [];
  const push = (p: string | undefined): void => {
    if (p) problems.push(p);
  };
  const prompt = body.prompt;
  if (typeof prompt !== 'string' || prompt.trim() === '') {
    problems.push('prompt is required and must be a non-empty string');
  } else if (prompt.length > spec.maxPromptChars) {
    problems.push(`prompt must be at most ${spec.maxPromptChars} characters for ${model}, got ${prompt.length}`);
  }
  if (body.seed !== undefined) push(intProblem('seed', body.seed, 0, spec.maxSeed));
  const allowed = new Set(['prompt', 'seed']);
  if (spec.size.kind === 'pixels') {
    for (const field of ['width', 'height']) {
      allowed.add(field);
      if (body[field] !== undefined) push(intProblem(field, body[field], spec.size.min, spec.size.max));
    }
  } else {
    allowed.add('aspect_ratio');
    const ratio = body.aspect_ratio;
    if (ratio !== undefined && !(PROVIDER_ASPECT_RATIOS as readonly unknown[]).includes(ratio)) {
      problems.push(`aspect_ratio must be one of ${PROVIDER_ASPECT_RATIOS.join(', ')}, got ${JSON.stringify(ratio)}`);
    }
  }
  if (spec.steps) {
    allowed.add('steps');
    if (body.steps !== undefined) push(intProblem('steps', body.steps, spec.steps.min, spec.steps.max));
  }
  if (spec.guidance) {
    allowed.add('guidance');
    const g = body.guidance;
    if (g !== undefined && (typeof g !== 'number' || g < spec.guidance.min || g > spec.guidance.max)) {
      problems.push(
        `guidance must be a number from ${spec.guidance.min} to ${spec.guidance.max}, got ${JSON.stringify(g)}`
      );
    }
  }
  if (spec.output) {
    allowed.add('output_format');
    allowed.add('output_quality');
    const format = body.output_format;
    if (format !== undefined && !(PROVIDER_OUTPUT_FORMATS as readonly unknown[]).includes(format)) {
      problems.push(
        `output_format must be one of ${PROVIDER_OUTPUT_FORMATS.join(', ')}, got ${JSON.stringify(format)}`
      );
    }
    const q = spec.output.quality;
    if (body.output_quality !== undefined) push(intProblem('output_quality', body.output_quality, q.min, q.max));
  }
  for (const field of Object.keys(body)) {
    if (!allowed.has(field)) problems.push(`${field} is not a parameter of ${model}`);
  }
  return problems;
}
