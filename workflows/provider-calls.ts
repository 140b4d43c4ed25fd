/**
 * Provider calls with their retries in workflow state: each attempt is its own activity
 * execution, every billed response (even an unusable one) is booked in the ledger, and the
 * wait before the next attempt is a durable timer that honours the provider's Retry-After.
 */
import { ActivityFailure, ApplicationFailure, isCancellation, proxyActivities, sleep } from '@temporalio/workflow';
import type { createGenerateActivities } from '../activities/generate-candidate.js';
import type { GenerateCandidateInput, GeneratedCandidate, GenerationFailureDetails } from '../shared/generation.js';
import type { Ledger } from '../shared/ledger.js';
import { DEFAULT_RETRY, retryDelayMs, type RetrySettings } from '../shared/retry.js';

const generateOptions = {
  // The client's own header/body timeouts fire first; this bounds a wedged worker.
  startToCloseTimeout: '4 minutes',
  heartbeatTimeout: '20 seconds',
  // The workflow owns retries (see generateWithRetries); one execution per attempt.
  retry: { maximumAttempts: 1 },
} as const;

const { generateCandidate } = proxyActivities<ReturnType<typeof createGenerateActivities>>(generateOptions);

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

function failureOf(err: unknown): {
  type: string;
  message: string;
  nonRetryable: boolean;
  details?: GenerationFailureDetails;
} {
  if (isCancellation(err)) throw err; // a cancelled batch stops; there is nothing to retry
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    const cause = err.cause;
    return {
      type: cause.type ?? 'Error',
      message: cause.message,
      nonRetryable: cause.nonRetryable === true,
      details: cause.details?.[0] as GenerationFailureDetails | undefined,
    };
  }
  if (err instanceof ActivityFailure) {
    return {
      type: err.cause?.name ?? 'ActivityFailure',
      message: err.cause?.message ?? err.message,
      nonRetryable: false,
    };
  }
  throw err; // cancellation and anything unexpected propagate unchanged
}

/** Generates one candidate, retrying per `settings`; throws {@link CandidateFailedError} when it gives up. */
export async function generateWithRetries(
  input: Omit<GenerateCandidateInput, 'attempt'>,
  ledger: Ledger,
  retry: Partial<RetrySettings> = {},
  summary?: string
): Promise<GeneratedCandidate> {
  const settings = { ...DEFAULT_RETRY, ...retry };
  for (let attempt = 1; ; attempt++) {
    try {
      const candidate = await generateCandidate.executeWithOptions(
        {
          ...generateOptions,
          ...(summary ? { summary: attempt > 1 ? `${summary} (attempt ${attempt})` : summary } : {}),
        },
        [{ ...input, attempt }]
      );
      ledger.book(
        candidate.billed,
        {
          thumbnailId: input.thumbnailId,
          phase: input.phase,
          candidateIndex: input.candidateIndex,
          attempt: candidate.attempt,
        },
        'image'
      );
      return candidate;
    } catch (err) {
      const failure = failureOf(err);
      if (failure.details?.billed) {
        ledger.book(
          failure.details.billed,
          { thumbnailId: input.thumbnailId, phase: input.phase, candidateIndex: input.candidateIndex, attempt },
          'unusable'
        );
      }
      if (failure.nonRetryable || attempt >= settings.maxAttempts) {
        throw new CandidateFailedError(failure.type, failure.message, attempt);
      }
      await sleep(retryDelayMs(settings, attempt, failure.details?.retryAfterMs));
    }
  }
}
