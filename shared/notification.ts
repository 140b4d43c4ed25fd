/**
 * The completion callback a scheduler receives when a batch ends: its JSON body, how it is signed and
 * what the batch records about its delivery. Sandbox-safe: the batch workflow builds the summary, the
 * notify activity signs and posts it (activities/notify.ts), a receiver verifies it (docs/operations.md).
 */
import { invalidParameter } from './validation.js';

/** How a batch ended, as the scheduler sees it. */
export type CompletionStatus = 'done' | 'failed' | 'cancelled' | 'budget-stopped';

export interface CompletionSummary {
  event: 'thumbgate.batch.finished';
  batchId: string;
  workflowId: string;
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

/** What the batch records about the callback: in its result, or its failure's details. */
export interface NotificationOutcome {
  url: string;
  delivered: boolean;
  /** The receiver's HTTP status of the last attempt, when one answered. */
  status?: number;
  /** Why it was not delivered. */
  error?: string;
}

/** Headers of a signed callback: the signature covers `${timestamp}.${body}`. */
export const SIGNATURE_HEADER = 'x-thumbgate-signature';
export const TIMESTAMP_HEADER = 'x-thumbgate-timestamp';

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
