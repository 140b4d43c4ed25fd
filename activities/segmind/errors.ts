import type { BilledCall } from '../../shared/generation.js';

/** Failure kinds; also the ApplicationFailure `type` the workflow sees. */
export type SegmindErrorKind =
  | 'SegmindKeyRejected'
  | 'SegmindInsufficientCredits'
  | 'SegmindInvalidRequest'
  | 'SegmindModelNotFound'
  | 'SegmindRateLimited'
  | 'SegmindServerError'
  | 'SegmindTimeout'
  | 'SegmindConnectionError'
  | 'SegmindBadImage';

const NON_RETRYABLE: ReadonlySet<SegmindErrorKind> = new Set([
  'SegmindKeyRejected',
  'SegmindInsufficientCredits',
  'SegmindInvalidRequest',
  'SegmindModelNotFound',
]);

export interface SegmindErrorInit {
  status?: number;
  retryAfterMs?: number;
  /** Set when the provider charged for the call even though it failed (e.g. a truncated image). */
  billed?: BilledCall;
  cause?: unknown;
}

/** A failed provider call. Messages never contain the API key (the client redacts them). */
export class SegmindError extends Error {
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly billed?: BilledCall;

  constructor(
    readonly kind: SegmindErrorKind,
    message: string,
    init: SegmindErrorInit = {}
  ) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'SegmindError';
    this.status = init.status;
    this.retryAfterMs = init.retryAfterMs;
    this.billed = init.billed;
  }

  get retryable(): boolean {
    return !NON_RETRYABLE.has(this.kind);
  }
}

/** Maps an HTTP error status to a failure kind and the fix an operator needs. */
export function classifyStatus(status: number): { kind: SegmindErrorKind; hint: string } {
  if (status === 401 || status === 403) {
    return { kind: 'SegmindKeyRejected', hint: 'check SEGMIND_API_KEY in the worker environment' };
  }
  if (status === 402) return { kind: 'SegmindInsufficientCredits', hint: 'top up Segmind credits' };
  if (status === 404) return { kind: 'SegmindModelNotFound', hint: 'check the model slug against the price card' };
  if (status === 400 || status === 406 || status === 422) {
    return { kind: 'SegmindInvalidRequest', hint: 'fix the request; retrying will not help' };
  }
  if (status === 408) return { kind: 'SegmindTimeout', hint: 'retrying' };
  if (status === 429) return { kind: 'SegmindRateLimited', hint: 'backing off' };
  return { kind: 'SegmindServerError', hint: 'retrying' };
}

/** Segmind answers 406 both for a bad content type and for an empty balance; only the body tells them apart. */
export function refine406(body: string): SegmindErrorKind {
  return /credit|balance|spend limit/i.test(body) ? 'SegmindInsufficientCredits' : 'SegmindInvalidRequest';
}

/**
 * Delay the provider asks for: `Retry-After` (seconds or HTTP date), else Segmind's own
 * `x-rate-limit-reset-at-utc`. Undefined when neither is usable.
 */
export function retryAfterMs(
  headers: Record<string, string | string[] | undefined>,
  now: number = Date.now()
): number | undefined {
  const first = (name: string): string | undefined => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const retryAfter = first('retry-after')?.trim();
  if (retryAfter) {
    if (/^\d+(\.\d+)?$/.test(retryAfter)) return Math.round(Number(retryAfter) * 1000);
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  const reset = first('x-rate-limit-reset-at-utc')?.trim();
  if (reset) {
    const at = /^\d+$/.test(reset) ? Number(reset) * 1000 : Date.parse(reset);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  return undefined;
}
