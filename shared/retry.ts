/** Retry settings for provider calls. The workflow runs the loop, so every attempt is in its history. */
export interface RetrySettings {
  /** Attempts per candidate, the first included. */
  maxAttempts: number;
  initialIntervalMs: number;
  maxIntervalMs: number;
  backoffCoefficient: number;
  /** Upper bound on a provider-requested Retry-After, so one header cannot park a batch for hours. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetrySettings = {
  maxAttempts: 5,
  initialIntervalMs: 1_000,
  maxIntervalMs: 30_000,
  backoffCoefficient: 2,
  maxRetryAfterMs: 5 * 60_000,
};

/** Delay before attempt `attempt + 1`: the provider's Retry-After when given, else exponential back-off. */
export function retryDelayMs(settings: RetrySettings, attempt: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(retryAfterMs, 0), settings.maxRetryAfterMs);
  const exp = settings.initialIntervalMs * settings.backoffCoefficient ** (attempt - 1);
  return Math.min(exp, settings.maxIntervalMs);
}
