/**
 * The completion callback: POSTs a batch's summary to the scheduler's URL, signed with HMAC-SHA256
 * so the receiver knows it came from these workers. The secret is the worker's
 * (THUMBGATE_WEBHOOK_SECRET), never workflow input. Retries belong to the workflow's retry policy:
 * this activity makes one attempt and says whether another could help.
 */
import { request } from 'undici';
import { signCallback } from '../common/callback-signature.js';
import { failure } from '../shared/failures.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, type NotifyInput } from '../shared/notification.js';

export interface NotifyDeps {
  /** THUMBGATE_WEBHOOK_SECRET; without it callbacks fail with the fix (never sent unsigned). */
  secret: string | undefined;
  /** Seconds since the epoch (tests pin it). */
  now?: () => number;
}

/** One exchange may take this long; a receiver that hangs is retried like one that is down. */
const TIMEOUT_MS = 10_000;

/** Statuses worth another attempt: the receiver is busy or briefly broken, not refusing the callback. */
function retryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

export function createNotifyActivities(deps: NotifyDeps) {
  const now = deps.now ?? (() => Math.floor(Date.now() / 1000));

  /** Delivers the callback once; returns the receiver's 2xx status, or fails (retryably or not). */
  async function notifyCompletion(input: NotifyInput): Promise<number> {
    if (!deps.secret) {
      throw failure('CallbackSecretMissing', 'THUMBGATE_WEBHOOK_SECRET is not set on the generation workers');
    }
    const body = JSON.stringify(input.summary);
    const timestamp = now();
    let status: number;
    try {
      const res = await request(input.url, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signCallback(deps.secret, timestamp, body),
        },
        headersTimeout: TIMEOUT_MS,
        bodyTimeout: TIMEOUT_MS,
      });
      status = res.statusCode;
      await res.body.dump();
    } catch (err) {
      throw failure('CallbackUnreachable', `${new URL(input.url).origin} did not answer: ${(err as Error).message}`);
    }
    if (status >= 200 && status < 300) return status;
    throw failure(
      retryableStatus(status) ? 'CallbackUnreachable' : 'CallbackRejected',
      `${new URL(input.url).origin} answered HTTP ${status}`,
      { status }
    );
  }

  return { notifyCompletion };
}
