/**
 * The plan's rate limit: at most `rpm` generation submits per API key in any sliding window of
 * `windowMs` (60 s). A refused submit does not take a slot. Off when `rpm` is undefined or 0.
 */
export interface RateDecision {
  ok: boolean;
  /** When admitted: the time the submit was counted at (it leaves the window `windowMs` later). */
  at?: number;
  /** When refused: whole seconds until the oldest counted submit leaves the window (≥ 1). */
  retryAfterSeconds?: number;
  /** When refused: epoch ms at which a slot frees. */
  resetAt?: number;
}

export class RateLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly rpm: number | undefined,
    private readonly windowMs: number,
    private readonly now: () => number
  ) {
    if (rpm !== undefined && (!Number.isInteger(rpm) || rpm < 0))
      throw new RangeError('rpm must be a non-negative integer');
    if (!(windowMs > 0)) throw new RangeError('rateWindowMs must be positive');
  }

  get limit(): number | undefined {
    return this.rpm ? this.rpm : undefined;
  }

  /** Counts a submit for `key` if a slot is free. */
  take(key: string): RateDecision {
    const now = this.now();
    if (!this.rpm) return { ok: true, at: now };
    const list = (this.hits.get(key) ?? []).filter((t) => t > now - this.windowMs);
    if (list.length >= this.rpm) {
      this.hits.set(key, list);
      const resetAt = list[0]! + this.windowMs;
      return { ok: false, resetAt, retryAfterSeconds: Math.max(1, Math.ceil((resetAt - now) / 1000)) };
    }
    list.push(now);
    this.hits.set(key, list);
    return { ok: true, at: now };
  }

  reset(): void {
    this.hits.clear();
  }
}
