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

const CALLBACK_NOT_ACCEPTED =
  "check that the --notify-url receiver is up, at a public address (or its host is in THUMBGATE_CALLBACK_HOSTS on the generation workers), and that its signature check passes (it verifies with its own URL, as given to --notify-url, and its secret: THUMBGATE_WEBHOOK_SECRETS / THUMBGATE_WEBHOOK_SECRET); the generation worker's log says what happened; `thumbgate result BATCH_ID --json` has the same summary";

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
    fix:
      'the provider answers this request with another shape, or an image too large to decode safely; ' +
      'the same request would get it again',
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
  /**
   * The result's `output` URL points where the workers do not fetch from (node/outbound.ts): another
   * scheme or host, or a private, loopback or link-local address. Every later result would point the
   * same way (or the provider is misbehaving), so the batch stops; the job is booked as paid.
   */
  ProviderMediaRefused: {
    retryable: false,
    stopsBatch: true,
    fix: `if the host named is your provider's media host, add it to THUMBGATE_MEDIA_HOSTS on the generation workers (https only; names or *.suffix), ${RESTART}`,
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
  /**
   * A blob a batch refers to is not in this worker's store (also the type Temporal gives a
   * BlobNotFoundError of node/blob-store.ts thrown unwrapped). Almost always a CLI and a worker, or
   * two workers, with different stores: every thumbnail would meet it, so the batch stops.
   */
  BlobNotFoundError: {
    retryable: false,
    stopsBatch: true,
    fix:
      'give the CLI and every worker the same THUMBGATE_STORE_DIR (one shared folder or volume), ' +
      'then start the batch again with the same id',
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
  ScoringAestheticHeadMismatch: {
    retryable: false,
    stopsBatch: true,
    fix: `score with the CLIP the LAION head was trained on (the message names it), or set THUMBGATE_AESTHETIC=clip-iqa; ${RESTART}`,
  },
  ScoringModelDownloadFailed: {
    retryable: true,
    stopsBatch: false,
    fix: "retried; check the scoring worker's network, or provide the model offline (`thumbgate models pull`)",
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
  // --- Budgets ---
  BudgetExhausted: {
    retryable: false,
    stopsBatch: false,
    fix: 'raise the limit while the batch runs (`thumbgate budget BATCH_ID --max-usd N`), or start it with a higher --max-usd',
  },
  // --- Completion callbacks (the batch's outcome stands; only the message was not delivered) ---
  CallbackSecretMissing: {
    retryable: false,
    stopsBatch: false,
    fix: "add the receiver's host to THUMBGATE_WEBHOOK_SECRETS (`host=secret`), or set THUMBGATE_WEBHOOK_SECRET for every host, on the generation workers; the receiver verifies with the same secret",
  },
  // One fix for both: which of them happened (a closed port, an HTTP 404) is for the worker's log only.
  CallbackUnreachable: { retryable: true, stopsBatch: false, fix: CALLBACK_NOT_ACCEPTED },
  CallbackRejected: { retryable: false, stopsBatch: false, fix: CALLBACK_NOT_ACCEPTED },
  /** The URL itself is refused (another scheme, an IP literal at a private, loopback or link-local address): never sent. */
  CallbackAddressRefused: {
    retryable: false,
    stopsBatch: false,
    fix: 'use a public https receiver, or list its host (or host:port) in THUMBGATE_CALLBACK_HOSTS on the generation workers; `thumbgate result BATCH_ID --json` has the same summary',
  },
  // --- Schedules ---
  ManifestUnavailable: {
    retryable: false,
    stopsBatch: true,
    fix: "put the day's manifest where the schedule's --manifest template points (on the workers' filesystem) before it fires, or trigger the schedule again once it is there",
  },
  /** A schedule fired twice in one minute (a manual trigger, say) after that minute's batch completed. */
  BatchAlreadyCompleted: {
    retryable: false,
    stopsBatch: true,
    fix: 'nothing was paid for again: see `thumbgate result BATCH_ID`; a trigger in a later minute starts a new batch',
  },
  // --- Input and outputs ---
  InvalidBatchInput: {
    retryable: false,
    stopsBatch: true,
    fix: 'start batches with `thumbgate start`, which validates the manifest and options first',
  },
  InvalidThumbnailInput: {
    retryable: false,
    stopsBatch: true,
    fix: 'start thumbnails through a batch (`thumbgate start`), which validates every brief first',
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

/**
 * Longest message a failure carries (2,000 characters), and a reason kept in a result or in carried
 * state (500): they travel through histories and payloads, and a provider can answer with 50 KB of text.
 */
export const MAX_MESSAGE_CHARS = 2_000;
export const MAX_REASON_CHARS = 500;

/** `text` cut to `max` characters, saying so. */
export function boundedMessage(text: string, max = MAX_MESSAGE_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The ApplicationFailure an activity or workflow throws for `type`: retryable as the table says. */
export function failure(type: FailureType, message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message: boundedMessage(message),
    nonRetryable: !FAILURES[type].retryable,
    ...(details === undefined ? {} : { details: [details] }),
  });
}

/** "cause — fix", the one way a failure is shown to a person. */
export function withFix(type: string | null | undefined, message: string): string {
  return `${message} — ${ruleOf(type).fix}`;
}
