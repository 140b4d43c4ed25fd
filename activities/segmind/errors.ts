/**
 * Segmind's answers mapped onto thumbgate's provider-neutral failure types (shared/failures.ts): this
 * file is the only place that knows Segmind's status codes; nothing past the activity boundary does.
 */
import type { BilledCall } from '../../shared/generation.js';
import { FAILURES, type FailureType } from '../../shared/failures.js';
import { header, type ResponseHeaders } from './headers.js';

export interface SegmindErrorInit {
  status?: number;
  retryAfterMs?: number;
  /** Set when the provider charged for the call even though it failed (e.g. a truncated image). */
  billed?: BilledCall;
}

/** A failed provider call. Messages never contain the API key (the client redacts them). */
export class SegmindError extends Error {
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly billed?: BilledCall;

  constructor(
    readonly type: FailureType,
    message: string,
    init: SegmindErrorInit = {}
  ) {
    super(message);
    this.name = 'SegmindError';
    this.status = init.status;
    this.retryAfterMs = init.retryAfterMs;
    this.billed = init.billed;
  }

  get retryable(): boolean {
    return FAILURES[this.type].retryable;
  }
}

/** Segmind's HTTP error statuses (its documented codes), by failure type; anything else is a server error. */
const STATUS_TYPES: Readonly<Record<number, FailureType>> = {
  400: 'ProviderInvalidRequest',
  401: 'ProviderKeyRejected',
  402: 'ProviderOutOfCredits',
  403: 'ProviderKeyRejected',
  404: 'ProviderModelNotFound',
  406: 'ProviderInvalidRequest',
  408: 'ProviderTimeout',
  422: 'ProviderInvalidRequest',
  429: 'ProviderRateLimited',
};

/**
 * The failure type of an HTTP error answer. Segmind answers 406 both for a bad content type and for
 * an empty balance; only the body tells them apart.
 */
export function classifyStatus(status: number, body = ''): FailureType {
  if (status === 406 && /credit|balance|spend limit/i.test(body)) return 'ProviderOutOfCredits';
  return STATUS_TYPES[status] ?? 'ProviderServerError';
}

/**
 * Delay the provider asks for: `Retry-After` (seconds or HTTP date), else Segmind's own
 * `x-rate-limit-reset-at-utc`. Undefined when neither is usable.
 */
export function retryAfterMs(headers: ResponseHeaders, now: number = Date.now()): number | undefined {
  const retryAfter = header(headers, 'retry-after')?.trim();
  if (retryAfter) {
    if (/^\d+(\.\d+)?$/.test(retryAfter)) return Math.round(Number(retryAfter) * 1000);
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  const reset = header(headers, 'x-rate-limit-reset-at-utc')?.trim();
  if (reset) {
    const at = /^\d+$/.test(reset) ? Number(reset) * 1000 : Date.parse(reset);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  return undefined;
}
