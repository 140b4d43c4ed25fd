/**
 * Every failure type thumbgate reports, in one table: whether retrying can help, whether it dooms the
 * whole batch, and what the operator should do. Activities translate provider- and library-specific
 * errors into these provider-neutral types at their boundary (`failure()`); workflows and the CLI read
 * only this table. Sandbox-safe.
 */
import { ApplicationFailure } from '@temporalio/common';

export interface FailureRule {
  /** Whether another attempt with the same request can succeed. */
  retryable: boolean;
  /**
   * Whether every later thumbnail would fail the same way: the batch then starts nothing new, lets
   * what is in flight finish (its spend is booked) and stops.
   */
  stopsBatch: boolean;
  /** What to do about it, printed after the cause. */
  fix: string;
}

const RESTART = 'then start the batch again with the same id: drafts already paid for are reused';

export const FAILURES = {
  // --- Provider (activities/segmind maps HTTP answers onto these) ---
  ProviderKeyRejected: {
    retryable: false,
    stopsBatch: true,
    fix: `set a valid SEGMIND_API_KEY in the worker environment, ${RESTART}`,
  },
  ProviderOutOfCredits: { retryable: false, stopsBatch: true, fix: `top up Segmind credits, ${RESTART}` },
  ProviderModelNotFound: {
    retryable: false,
    stopsBatch: true,
    fix: `pick a model slug from the price card (shared/price-card.ts), ${RESTART}`,
  },
  ProviderInvalidRequest: {
    retryable: false,
    stopsBatch: false,
    fix: "fix the brief's prompt or size: the same request would be refused again",
  },
  ProviderRateLimited: {
    retryable: true,
    stopsBatch: false,
    fix: "lower the batch's maxInFlight to fit your Segmind plan's rate limit",
  },
  ProviderServerError: { retryable: true, stopsBatch: false, fix: 'retried; if it persists, check Segmind status' },
  ProviderTimeout: { retryable: true, stopsBatch: false, fix: 'retried; if it persists, check Segmind status' },
  ProviderUnreachable: {
    retryable: true,
    stopsBatch: false,
    fix: "retried; check the worker's network and SEGMIND_BASE_URL",
  },
  ProviderWrongSize: {
    retryable: false,
    stopsBatch: false,
    fix: 'the provider answers this request with another shape; the same request would get it again',
  },
  ProviderResultExpired: {
    retryable: false,
    stopsBatch: false,
    fix: "the job's result was deleted before it was fetched (Segmind keeps results one hour); only a new, billed request can replace it",
  },
  ProviderBadImage: {
    retryable: true,
    stopsBatch: false,
    fix: 'retried; the unusable image is booked as paid-but-unusable',
  },
  WasteLimitReached: {
    retryable: false,
    stopsBatch: true,
    fix:
      'the provider keeps charging for unusable images: check Segmind status and the failures in results.jsonl, ' +
      `or raise --max-consecutive-unusable / --max-unusable-share; ${RESTART}`,
  },
  // --- Store ---
  CandidateNotStored: {
    retryable: true,
    stopsBatch: false,
    fix: 'check that THUMBGATE_STORE_DIR is writable and has free space',
  },
  ResultNotStored: {
    retryable: false,
    stopsBatch: true,
    fix: `check that THUMBGATE_STORE_DIR is writable and has free space, ${RESTART}`,
  },
  // --- Scoring ---
  ScoringModelUnavailable: {
    retryable: false,
    stopsBatch: true,
    fix: `provide the CLIP model to the scoring worker (\`thumbgate models pull\`), ${RESTART}`,
  },
  ScoringInvalidInput: { retryable: false, stopsBatch: false, fix: 'a bug in the caller: report it with the batch id' },
  ScoringImageMissing: {
    retryable: false,
    stopsBatch: false,
    fix: 'give the scoring worker the same THUMBGATE_STORE_DIR as the generation worker',
  },
  ScoringInvalidImage: { retryable: false, stopsBatch: false, fix: 'the provider returned an unusable image' },
  ScoringWrongImageSize: { retryable: false, stopsBatch: false, fix: 'the provider returned an image of another size' },
  Cancelled: { retryable: false, stopsBatch: false, fix: 'start the batch again with the same id to finish it' },
  // --- Input and outputs ---
  InvalidBatchInput: {
    retryable: false,
    stopsBatch: true,
    fix: 'start batches with `thumbgate start`, which validates the manifest and options first',
  },
  InvalidManifest: { retryable: false, stopsBatch: true, fix: 'validate the manifest with `thumbgate estimate`' },
  UnsafeOutputPath: {
    retryable: false,
    stopsBatch: true,
    fix: 'set THUMBGATE_OUT_DIR to a folder the worker owns, with no links inside',
  },
} as const satisfies Record<string, FailureRule>;

export type FailureType = keyof typeof FAILURES;

/** Anything not in the table (an SDK timeout, a bug) is retried by Temporal and stops nothing. */
const UNKNOWN: FailureRule = { retryable: true, stopsBatch: false, fix: 'see the worker log' };

export function isFailureType(type: unknown): type is FailureType {
  return typeof type === 'string' && Object.hasOwn(FAILURES, type);
}

export function ruleOf(type: string | null | undefined): FailureRule {
  return isFailureType(type) ? FAILURES[type] : UNKNOWN;
}

/** The ApplicationFailure an activity or workflow throws for `type`: retryable as the table says. */
export function failure(type: FailureType, message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: !FAILURES[type].retryable,
    ...(details === undefined ? {} : { details: [details] }),
  });
}

/** "cause — fix", the one way a failure is shown to a person. */
export function withFix(type: string | null | undefined, message: string): string {
  return `${message} — ${ruleOf(type).fix}`;
}
