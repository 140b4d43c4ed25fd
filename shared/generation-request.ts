/**
 * One provider request, validated and turned into Segmind's JSON body. Shared by the Segmind
 * client, the emulator (which validates the way the API does) and manifest validation, so the
 * three can never disagree about what a model accepts.
 */
import {
  ASPECT_RATIOS,
  OUTPUT_FORMATS,
  PRICE_CARD,
  aspectRatioSize,
  type AspectRatio,
  type FluxModel,
  type OutputFormat,
} from './price-card.js';
import { integerProblem } from './validation.js';

export interface GenerationParams {
  model: FluxModel;
  prompt: string;
  seed: number;
  /** Pixel-sized models (the schnell models, flux-dev). */
  width?: number;
  height?: number;
  /** Aspect-ratio models (the pro family). */
  aspectRatio?: AspectRatio;
  steps?: number;
  guidance?: number;
  outputFormat?: OutputFormat;
  outputQuality?: number;
}

/** Segmind's wire names; only the fields a model takes are present. */
export type SegmindRequestBody = Record<string, string | number>;

export interface ParamProblem {
  /** Wire name of the field, e.g. `width` or `aspect_ratio`. */
  field: string;
  message: string;
}

function intProblem(field: string, value: unknown, min: number, max: number, note?: string): ParamProblem | undefined {
  const message = integerProblem(field, value, { min, max, note });
  return message === undefined ? undefined : { field, message };
}

/**
 * Checks a wire body against the model's parameter table. Returns every problem, each naming
 * the field and what is accepted; an empty list means the body is valid.
 */
export function validateRequestBody(model: FluxModel, body: Record<string, unknown>): ParamProblem[] {
  const spec = PRICE_CARD[model];
  const problems: ParamProblem[] = [];
  const push = (p: ParamProblem | undefined): void => {
    if (p) problems.push(p);
  };
  const prompt = body.prompt;
  if (typeof prompt !== 'string' || prompt.trim() === '') {
    problems.push({ field: 'prompt', message: 'prompt is required and must be a non-empty string' });
  } else if (prompt.length > spec.maxPromptChars) {
    problems.push({
      field: 'prompt',
      message: `prompt must be at most ${spec.maxPromptChars} characters for ${model}, got ${prompt.length}`,
    });
  }
  if (body.seed !== undefined) push(intProblem('seed', body.seed, 0, spec.maxSeed));
  const allowed = new Set(['prompt', 'seed']);
  if (spec.size.kind === 'pixels') {
    const { min, max, multipleOf } = spec.size;
    for (const field of ['width', 'height']) {
      allowed.add(field);
      const value = body[field];
      if (value === undefined) continue;
      const rangeProblem = intProblem(field, value, min, max, `a multiple of ${multipleOf}`);
      if (rangeProblem) problems.push(rangeProblem);
      else if ((value as number) % multipleOf !== 0) {
        problems.push({ field, message: `${field} must be a multiple of ${multipleOf}, got ${JSON.stringify(value)}` });
      }
    }
  } else {
    allowed.add('aspect_ratio');
    const ratio = body.aspect_ratio;
    if (ratio !== undefined && !(ASPECT_RATIOS as readonly unknown[]).includes(ratio)) {
      problems.push({
        field: 'aspect_ratio',
        message: `aspect_ratio must be one of ${ASPECT_RATIOS.join(', ')}, got ${JSON.stringify(ratio)}`,
      });
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
      problems.push({
        field: 'guidance',
        message: `guidance must be a number from ${spec.guidance.min} to ${spec.guidance.max}, got ${JSON.stringify(g)}`,
      });
    }
  }
  if (spec.outputFormat) {
    allowed.add('output_format');
    allowed.add('output_quality');
    const format = body.output_format;
    if (format !== undefined && !(OUTPUT_FORMATS as readonly unknown[]).includes(format)) {
      problems.push({
        field: 'output_format',
        message: `output_format must be one of ${OUTPUT_FORMATS.join(', ')}, got ${JSON.stringify(format)}`,
      });
    }
    const q = spec.outputFormat.quality;
    if (body.output_quality !== undefined) push(intProblem('output_quality', body.output_quality, q.min, q.max));
  }
  for (const field of Object.keys(body)) {
    if (!allowed.has(field)) problems.push({ field, message: `${field} is not a parameter of ${model}` });
  }
  return problems;
}

/** The JSON body Segmind expects, with the model's defaults written out (the seed: never rely on defaults). */
export function toRequestBody(params: GenerationParams): SegmindRequestBody {
  const spec = PRICE_CARD[params.model];
  const body: SegmindRequestBody = { prompt: params.prompt, seed: params.seed };
  if (spec.size.kind === 'pixels') {
    body.width = params.width ?? spec.size.defaultWidth;
    body.height = params.height ?? spec.size.defaultHeight;
  } else {
    body.aspect_ratio = params.aspectRatio ?? spec.size.defaultAspectRatio;
  }
  if (spec.steps) body.steps = params.steps ?? spec.steps.default;
  if (spec.guidance) body.guidance = params.guidance ?? spec.guidance.default;
  if (spec.outputFormat) {
    body.output_format = params.outputFormat ?? spec.outputFormat.default;
    body.output_quality = params.outputQuality ?? spec.outputFormat.quality.default;
  }
  return body;
}

/**
 * How far an output's aspect ratio may stray from the requested one. Providers choose their output
 * sizes: BFL-style models answer from fixed buckets with sides in multiples of 32 (16:9 comes back
 * 1344×768, 1.6% off; 4:3 comes back 1152×896, 3.6% off), so an exact or 1% rule would refuse their
 * standard answers and re-buy them. The output stage fits winners to the brief's exact size.
 */
export const SIZE_RATIO_TOLERANCE = 0.04;

/** Smallest output accepted, as a share of the nominal area: a thumbnail upscaled from less looks soft. */
export const MIN_AREA_SHARE = 0.85;

/**
 * Why an output of `width`×`height` is not what `body` asked for, or undefined when it is: the
 * requested aspect ratio within {@link SIZE_RATIO_TOLERANCE}, and at least {@link MIN_AREA_SHARE} of
 * the nominal area.
 */
export function imageSizeProblem(
  model: FluxModel,
  body: Record<string, unknown>,
  width: number,
  height: number
): string | undefined {
  const nominal = nominalImageSize(model, body);
  const ratio = width / height;
  // The ratio asked for ("4:3"), not our rounding of it: the provider rounds its own way.
  const asked = typeof body.aspect_ratio === 'string' ? /^(\d+):(\d+)$/.exec(body.aspect_ratio) : null;
  const wanted = asked ? Number(asked[1]) / Number(asked[2]) : nominal.width / nominal.height;
  if (Math.abs(ratio - wanted) / wanted > SIZE_RATIO_TOLERANCE) {
    return `${width}×${height} is not the requested shape (${nominal.width}×${nominal.height} within ${SIZE_RATIO_TOLERANCE * 100}%)`;
  }
  if (width * height < MIN_AREA_SHARE * nominal.width * nominal.height) {
    return `${width}×${height} is smaller than ${MIN_AREA_SHARE * 100}% of the requested ${nominal.width}×${nominal.height}`;
  }
  return undefined;
}

/** The image size a valid body asks for; the provider may answer with a nearby size (see imageSizeProblem). */
export function nominalImageSize(model: FluxModel, body: Record<string, unknown>): { width: number; height: number } {
  const spec = PRICE_CARD[model];
  if (spec.size.kind === 'pixels') {
    return {
      width: typeof body.width === 'number' ? body.width : spec.size.defaultWidth,
      height: typeof body.height === 'number' ? body.height : spec.size.defaultHeight,
    };
  }
  const ratio = (body.aspect_ratio as AspectRatio | undefined) ?? spec.size.defaultAspectRatio;
  return aspectRatioSize(ratio, spec.size.megapixels);
}
