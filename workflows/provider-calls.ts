/**
 * Provider calls with their retries in workflow state: each attempt is its own activity execution,
 * every billed response (even an unusable one) is booked in the ledger, and the wait before the next
 * attempt is a durable timer. How long to wait is the worker's call (its retry settings and the
 * provider's Retry-After), reported in the failure's details so it is in history.
 */
import { ActivityFailure, ApplicationFailure, isCancellation, proxyActivities, sleep } from '@temporalio/workflow';
import type { createGenerateActivities } from '../activities/generate-candidate.js';
import type { GenerateCandidateInput, GeneratedCandidate, GenerationFailureDetails } from '../shared/generation.js';
import type { Ledger } from '../shared/ledger.js';
import { DEFAULT_RETRY_DELAYS, MAX_ATTEMPTS, retryDelayMs } from '../shared/retry.js';

const { generateCandidate } = proxyActivities<ReturnType<typeof createGenerateActivities>>({
  // The client's own header/body timeouts fire first; this bounds a wedged worker.
  startToCloseTimeout: '4 minutes',
  heartbeatTimeout: '20 seconds',
  // The workflow owns retries (see generateWithRetries); one execution per attempt.
  retry: { maximumAttempts: 1 },
});

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

/** Generates one candidate, retrying while the failure allows; throws {@link CandidateFailedError} when it gives up. */
export async function generateWithRetries(
  input: Omit<GenerateCandidateInput, 'attempt'>,
  ledger: Ledger,
  summary: string
): Promise<GeneratedCandidate> {
  const slot = { thumbnailId: input.thumbnailId, phase: input.phase, candidateIndex: input.candidateIndex };
  for (let attempt = 1; ; attempt++) {
    try {
      const candidate = await generateCandidate.executeWithOptions(
        { summary: attempt > 1 ? `${summary} (attempt ${attempt})` : summary },
        [{ ...input, attempt }]
      );
      ledger.book(candidate.billed, { ...slot, attempt: candidate.attempt }, 'image');
      return candidate;
    } catch (err) {
      const failure = attemptFailure(err);
      if (failure.details?.billed) ledger.book(failure.details.billed, { ...slot, attempt }, 'unusable');
      if (failure.nonRetryable || attempt >= MAX_ATTEMPTS) {
        throw new CandidateFailedError(failure.type, failure.message, attempt);
      }
      await sleep(failure.details?.retryDelayMs ?? retryDelayMs(DEFAULT_RETRY_DELAYS, attempt));
    }
  }
}
