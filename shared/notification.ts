/**
 * The completion callback a scheduler receives when a batch ends: its JSON body, how it is signed and
 * what the batch records about its delivery. Sandbox-safe: the batch workflow builds the summary, the
 * notify activity signs and posts it (activities/notify.ts), a receiver verifies it (docs/operations.md).
 */
import { withFix } from './failures.js';
import { invalidParameter } from './validation.js';

/** How a batch ended, as the scheduler sees it. */
export type CompletionStatus = 'done' | 'failed' | 'cancelled' | 'budget-stopped';

export interface CompletionSummary {
  event: 'thumbgate.batch.finished';
  batchId: string;
  workflowId: string;
  /** The schedule whose firing started the batch; absent for a batch started by hand. */
  schedule?: string;
  status: CompletionStatus;
  /** Why the batch failed or stopped (absent when done). */
  reason?: string;
  thumbnails: number;
  succeeded: number;
  failed: number;
  rerolled: number;
  rerollWins: number;
  spendMicros: number;
  spendUsd: number;
  costPerUsableUsd: number;
  /** The batch's output folder on the workers' store (absent when none was written). */
  outputDir?: string;
  /** Workflow time when the batch ended, ISO 8601. */
  finishedAt: string;
}

export interface NotifyInput {
  url: string;
  summary: CompletionSummary;
}

/**
 * `delivered`: the receiver acknowledged it (2xx). `refused`: the workers would not send it there (a
 * private, loopback or link-local address THUMBGATE_CALLBACK_HOSTS does not list). `failed`: not
 * delivered — no secret for it, or the receiver was unreachable or did not accept it.
 */
export type NotificationResult = 'delivered' | 'refused' | 'failed';

/**
 * What the batch records about the callback: in its result, or its failure's details. Whoever reads
 * the batch sees no transport detail (a closed port and an HTTP 404 read alike); the generation
 * worker's log has it.
 */
export interface NotificationOutcome {
  url: string;
  outcome: NotificationResult;
  /** Why it was not delivered, with the fix. */
  error?: string;
}

/**
 * The outcome of a callback that was not delivered: from the failure's type and message when the
 * notify activity gave one (its messages carry no transport detail), else the words of a receiver
 * that did not accept it.
 */
export function undeliveredOutcome(
  url: string,
  failure?: { type?: string | null; message: string }
): NotificationOutcome {
  if (failure?.type === 'CallbackAddressRefused') {
    return { url, outcome: 'refused', error: withFix(failure.type, failure.message) };
  }
  const error = failure?.type
    ? withFix(failure.type, failure.message)
    : withFix('CallbackUnreachable', `${new URL(url).origin} did not accept the callback`);
  return { url, outcome: 'failed', error };
}

/** Headers of a signed callback (scheme v2: what it covers is in node/callback-signature.ts). */
export const SIGNATURE_HEADER = 'x-thumbgate-signature';
export const TIMESTAMP_HEADER = 'x-thumbgate-timestamp';
/** Which secret signed it: a non-secret fingerprint, so a receiver can pick among its secrets. */
export const KEY_ID_HEADER = 'x-thumbgate-key-id';

const MAX_URL_CHARS = 2000;

/**
 * Problem with a callback URL, or undefined: http(s) only, and no credentials in it — the URL is
 * workflow input, kept in history and shown in the UI.
 */
export function notifyUrlProblem(field: string, value: unknown): string | undefined {
  const rule = 'an http(s) URL without user:password, at most 2000 characters';
  if (typeof value !== 'string' || value.length > MAX_URL_CHARS) return invalidParameter(field, rule, value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return invalidParameter(field, rule, value);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return invalidParameter(field, rule, value);
  if (url.username || url.password) {
    return `${field} must not carry credentials (it is kept in workflow history): sign with THUMBGATE_WEBHOOK_SECRET instead`;
  }
  return undefined;
}
