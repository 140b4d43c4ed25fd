/**
 * Provider calls with their retries in workflow state: each attempt is its own activity execution,
 * every billed call (even an unusable one) is booked in the ledger the moment the provider accepts it,
 * and every wait — between polls of an accepted job, before another attempt — is a durable timer.
 * How long to wait before another attempt is the worker's call (its back-off settings and the
 * provider's Retry-After), reported in the failure's details so it is in history.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  proxyActivities,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { createGenerateActivities } from '../activities/generate-candidate.js';
import type { GenerateCandidateInput, GeneratedCandidate, GenerationFailureDetails } from '../shared/generation.js';
import type { Purse } from '../shared/budget.js';
import type { BookingContext, Ledger } from '../shared/ledger.js';
import { formatUsd } from '../shared/money.js';
import { DEFAULT_RETRY_DELAYS, MAX_ATTEMPTS, retryDelayMs } from '../shared/retry.js';
import { providerTaskQueueFor } from '../shared/task-queues.js';

type GenerateActivities = ReturnType<typeof createGenerateActivities>;

const { requestCandidate } = proxyActivities<GenerateActivities>({
  // A synchronous (v1) call renders inside this activity; the client's own deadline fires first.
  startToCloseTimeout: '4 minutes',
  heartbeatTimeout: '20 seconds',
  // Never retried by Temporal: a second submit would pay again. The workflow decides (see below).
  retry: { maximumAttempts: 1 },
  // A cancelled batch still waits for a submit under way: the provider may have accepted (and
  // charged) it, and only the activity's answer brings the request id into the ledger.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

const { collectCandidate } = proxyActivities<GenerateActivities>({
  startToCloseTimeout: '3 minutes',
  heartbeatTimeout: '20 seconds',
  // Collecting is idempotent over the request id (fetching a result again is free): retry freely.
  retry: { maximumAttempts: 6, initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/** Pause between two collect calls of a job still queued or rendering. */
const COLLECT_PAUSE = '5 seconds';
/** About twenty minutes of a job that never finishes before the candidate gives up on it. */
const MAX_COLLECT_ROUNDS = 35;

export class CandidateFailedError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly attempts: number
  ) {
    super(message);
    this.name = 'CandidateFailedError';
  }
}

interface AttemptFailure {
  type: string;
  message: string;
  nonRetryable: boolean;
  details?: GenerationFailureDetails;
}

function attemptFailure(err: unknown): AttemptFailure {
  if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err; // nothing to retry
  const cause = err.cause;
  if (cause instanceof ApplicationFailure) {
    return {
      type: cause.type ?? 'Error',
      message: cause.message,
      nonRetryable: cause.nonRetryable === true,
      details: cause.details?.[0] as GenerationFailureDetails | undefined,
    };
  }
  // A timeout or a lost worker: nothing says the request was wrong.
  return { type: cause?.name ?? 'ActivityFailure', message: cause?.message ?? err.message, nonRetryable: false };
}

/** The thumbnail's spending limit: every call reserves its price-card cost until it is booked. */
export interface CallBudget {
  purse: Purse;
  perCallMicros: number;
}

/** One attempt: ask for the candidate, then collect the accepted job until it is delivered. */
async function attemptCandidate(
  input: GenerateCandidateInput,
  booking: BookingContext,
  ledger: Ledger,
  budget: CallBudget,
  summary: string
): Promise<GeneratedCandidate> {
  const { purse, perCallMicros } = budget;
  if (!purse.reserve(perCallMicros)) {
    throw new CandidateFailedError(
      'BudgetExhausted',
      `not started: the thumbnail's allowance of ${formatUsd(purse.limit ?? 0)} would be passed ` +
        `(${formatUsd(purse.committed)} committed)`,
      input.attempt - 1
    );
  }
  let request;
  try {
    request = await requestCandidate.executeWithOptions(
      { summary, taskQueue: providerTaskQueueFor(workflowInfo().taskQueue) },
      [input]
    );
  } finally {
    // The answer is booked right below (or, for a failure, by the caller): the reservation gives way.
    purse.release(perCallMicros);
  }
  if (request.kind === 'stored') {
    ledger.book(request.candidate.billed, booking, 'image');
    return request.candidate;
  }
  // Paid from acceptance: booked now (an estimate, no image yet) and settled when collected.
  ledger.book(request.billed, booking, 'unusable', { estimate: true });
  for (let round = 1; ; round++) {
    const collected = await collectCandidate.executeWithOptions({ summary: `${summary}: collect` }, [
      { ...input, requestId: request.requestId },
    ]);
    if (collected.kind === 'stored') {
      ledger.settle(collected.candidate.billed, booking, 'image');
      return collected.candidate;
    }
    if (round >= MAX_COLLECT_ROUNDS) {
      throw new CandidateFailedError(
        'ProviderTimeout',
        `job ${request.requestId} is still ${collected.status} after ${round} checks; it stays booked as paid`,
        input.attempt
      );
    }
    await sleep(COLLECT_PAUSE);
  }
}

/** Generates one candidate, retrying while the failure allows; throws {@link CandidateFailedError} when it gives up. */
export async function generateWithRetries(
  input: Omit<GenerateCandidateInput, 'attempt'>,
  ledger: Ledger,
  budget: CallBudget,
  summary: string
): Promise<GeneratedCandidate> {
  const slot = { thumbnailId: input.thumbnailId, phase: input.phase, candidateIndex: input.candidateIndex };
  for (let attempt = 1; ; attempt++) {
    const booking = { ...slot, attempt };
    try {
      return await attemptCandidate(
        { ...input, attempt },
        booking,
        ledger,
        budget,
        attempt > 1 ? `${summary} (attempt ${attempt})` : summary
      );
    } catch (err) {
      if (err instanceof CandidateFailedError) throw err;
      const failure = attemptFailure(err);
      if (failure.details?.billed) ledger.settle(failure.details.billed, booking, 'unusable');
      if (failure.nonRetryable || attempt >= MAX_ATTEMPTS) {
        throw new CandidateFailedError(failure.type, failure.message, attempt);
      }
      await sleep(failure.details?.retryDelayMs ?? retryDelayMs(DEFAULT_RETRY_DELAYS, attempt));
    }
  }
}
