/**
 * Provider-call retries. The workflow runs the loop (every attempt is in its history) and owns the
 * attempt limit; the worker owns the delays, so an operator (or a test) tunes them where the worker
 * is configured, and the delay an attempt asks for is recorded in its failure details.
 */

/** Attempts per candidate, the first included. */
export const MAX_ATTEMPTS = 5;

export interface RetryDelays {
  initialIntervalMs: number;
  maxIntervalMs: number;
  backoffCoefficient: number;
  /** Upper bound on a provider-requested Retry-After, so one header cannot park a batch for hours. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_DELAYS: Readonly<RetryDelays> = Object.freeze({
  initialIntervalMs: 1_000,
  maxIntervalMs: 30_000,
  backoffCoefficient: 2,
  maxRetryAfterMs: 5 * 60_000,
});

/**
 * Delay before attempt `attempt + 1`: exponential back-off, or the provider's Retry-After when that is
 * longer. A `Retry-After: 0` (or a date in the past) still waits the back-off: an overloaded provider
 * that says "now" to every client gets a stampede otherwise.
 */
export function retryDelayMs(settings: RetryDelays, attempt: number, retryAfterMs?: number): number {
  const backoff = Math.min(
    settings.initialIntervalMs * settings.backoffCoefficient ** (attempt - 1),
    settings.maxIntervalMs
  );
  if (retryAfterMs === undefined) return backoff;
  return Math.min(Math.max(retryAfterMs, backoff), Math.max(settings.maxRetryAfterMs, backoff));
}
