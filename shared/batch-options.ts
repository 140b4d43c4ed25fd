/**
 * Options of one batch: how many drafts per brief, on which model, and how much of the batch is
 * re-rolled on which model. Pure and sandbox-safe: the CLI validates before starting a batch and
 * the workflow validates again (failing non-retryably, naming the field) because a workflow can be
 * started by other clients too.
 */
import { FLUX_MODELS, PRICE_CARD, isFluxModel, type FluxModel } from './price-card.js';
import { describeSizeProblems, type Size } from './thumbnail-brief.js';
import { integerProblem, invalidParameter, withoutUndefined } from './validation.js';

export interface BatchOptions {
  /** Drafts generated per brief; the best by CLIP score is kept. */
  candidates: number;
  draftModel: FluxModel;
  /** Ignored when the draft model takes no step count (the flat-priced pro models). */
  draftSteps: number;
  rerollModel: FluxModel;
  /** Share of the batch (the lowest-scoring thumbnails) re-rolled on the re-roll model, 0 to 1. */
  rerollFraction: number;
  /** Thumbnails in flight at once across the batch. */
  maxInFlight: number;
  /** Size of briefs that give none. */
  size: Size;
  /** The waste breaker: stop after this many paid-but-unusable provider calls in a row. */
  maxConsecutiveUnusable: number;
  /** The waste breaker: stop once paid-but-unusable spend passes this share of spend (after 20 calls). */
  maxUnusableShare: number;
}

export const CANDIDATES_RANGE = { min: 1, max: 8 } as const;
export const MAX_IN_FLIGHT_RANGE = { min: 1, max: 200 } as const;

/** The seed's strategy: 4 schnell drafts at 4 steps, the bottom tenth re-rolled on flux-1.1-pro. */
export const DEFAULT_BATCH_OPTIONS: Readonly<BatchOptions> = Object.freeze({
  candidates: 4,
  draftModel: 'flux-schnell',
  draftSteps: 4,
  rerollModel: 'flux-1.1-pro',
  rerollFraction: 0.1,
  maxInFlight: 8,
  size: Object.freeze({ width: 1280, height: 720 }),
  maxConsecutiveUnusable: 10,
  maxUnusableShare: 0.15,
});

export const BATCH_OPTION_FIELDS = Object.keys(DEFAULT_BATCH_OPTIONS) as (keyof BatchOptions)[];

export interface OptionProblem {
  /** A BatchOptions key, or the unknown key that was given. */
  field: string;
  message: string;
}

/** Carries every problem of a set of options. */
export class BatchOptionsError extends Error {
  override readonly name = 'BatchOptionsError';
  constructor(readonly problems: OptionProblem[]) {
    super(`invalid batch options:\n${problems.map((p) => `  ${p.field}: ${p.message}`).join('\n')}`);
  }
}

/**
 * Fills defaults. `undefined` values count as absent, so CLI flags that were not given can be
 * passed straight through without overriding a default.
 */
export function resolveBatchOptions(partial: Partial<BatchOptions> = {}): BatchOptions {
  const resolved: BatchOptions = { ...DEFAULT_BATCH_OPTIONS, ...withoutUndefined(partial) };
  return { ...resolved, size: { ...resolved.size } };
}

function integerOption(field: keyof BatchOptions, value: unknown, min: number, max: number, note: string) {
  const message = integerProblem(field, value, { min, max, note });
  return message === undefined ? undefined : { field, message };
}

/**
 * Every problem with a set of options (empty when valid). Checks runtime types too: workflow input
 * arrives as JSON from any client.
 */
export function validateBatchOptions(o: BatchOptions): OptionProblem[] {
  const problems: OptionProblem[] = [];
  const push = (p: OptionProblem | undefined): void => {
    if (p) problems.push(p);
  };
  if (typeof o !== 'object' || o === null) {
    return [{ field: 'options', message: `batch options must be an object, got ${JSON.stringify(o)}` }];
  }
  const input = o as unknown as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!(BATCH_OPTION_FIELDS as string[]).includes(key)) {
      problems.push({
        field: key,
        message: `${key} is not a batch option; accepted: ${BATCH_OPTION_FIELDS.join(', ')}`,
      });
    }
  }
  push(integerOption('candidates', o.candidates, CANDIDATES_RANGE.min, CANDIDATES_RANGE.max, 'drafts per brief'));
  const models = `one of ${FLUX_MODELS.join(', ')}`;
  const draftOk = isFluxModel(o.draftModel);
  if (!draftOk) {
    problems.push({
      field: 'draftModel',
      message: `draftModel must be ${models}, got ${JSON.stringify(o.draftModel)}`,
    });
  } else {
    const steps = PRICE_CARD[o.draftModel].steps;
    if (steps) {
      push(integerOption('draftSteps', o.draftSteps, steps.min, steps.max, `the step range of ${o.draftModel}`));
    }
  }
  const rerollOk = isFluxModel(o.rerollModel);
  if (!rerollOk) {
    problems.push({
      field: 'rerollModel',
      message: `rerollModel must be ${models}, got ${JSON.stringify(o.rerollModel)}`,
    });
  }
  const f = o.rerollFraction;
  if (typeof f !== 'number' || !Number.isFinite(f) || f < 0 || f > 1) {
    problems.push({
      field: 'rerollFraction',
      message: invalidParameter('rerollFraction', 'a number from 0 to 1 (the share of the batch re-rolled)', f),
    });
  }
  push(
    integerOption(
      'maxInFlight',
      o.maxInFlight,
      MAX_IN_FLIGHT_RANGE.min,
      MAX_IN_FLIGHT_RANGE.max,
      'thumbnails in flight at once'
    )
  );
  push(
    integerOption(
      'maxConsecutiveUnusable',
      o.maxConsecutiveUnusable,
      1,
      10_000,
      'paid-but-unusable calls in a row before the batch stops'
    )
  );
  const share = o.maxUnusableShare;
  if (typeof share !== 'number' || !Number.isFinite(share) || share <= 0 || share > 1) {
    problems.push({
      field: 'maxUnusableShare',
      message: invalidParameter(
        'maxUnusableShare',
        'a number above 0 and at most 1 (the share of spend on unusable images that stops the batch)',
        share
      ),
    });
  }
  const size = o.size as unknown;
  if (typeof size !== 'object' || size === null) {
    problems.push({ field: 'size', message: `size must be { width, height } in pixels, got ${JSON.stringify(size)}` });
  } else if (draftOk && rerollOk) {
    const message = describeSizeProblems([o.draftModel, o.rerollModel], o.size);
    if (message) problems.push({ field: 'size', message: `default size: ${message}` });
  }
  return problems;
}

/** Numbers closer than this to an integer are that integer: 0.1 × 30 is 3.0000000000000004 in floating point. */
const EPSILON = 1e-9;

/** How many of `n` thumbnails are re-rolled: ceil(fraction × n), immune to floating-point error. */
export function rerollCount(n: number, fraction: number): number {
  const badCount = integerProblem('n', n, { min: 0 });
  if (badCount) throw new RangeError(badCount);
  if (typeof fraction !== 'number' || !Number.isFinite(fraction) || fraction < 0 || fraction > 1) {
    throw new RangeError(invalidParameter('fraction', 'a number from 0 to 1', fraction));
  }
  const exact = fraction * n;
  const nearest = Math.round(exact);
  const count = Math.abs(exact - nearest) < EPSILON * Math.max(1, n) ? nearest : Math.ceil(exact);
  return Math.min(n, Math.max(0, count));
}
