/**
 * The cause of a failed batch, as a person needs it: Temporal wraps the real failure in layers
 * ("Workflow execution failed" → "Activity task failed" → the activity's error), so the CLI walks the
 * cause chain to the innermost failure that says something and appends the fix from the failure table
 * (shared/failures.ts).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  TerminatedFailure,
  WorkflowFailedError,
} from '@temporalio/client';
import { ruleOf, withFix } from '../shared/failures.js';

export interface RootCause {
  /** The failure type: an ApplicationFailure's type (a failure-table type or an error class name). */
  type?: string;
  message: string;
}

/** Errors that only say where a failure happened; their cause says what happened. */
function isWrapper(err: Error): boolean {
  return (
    err instanceof WorkflowFailedError ||
    err instanceof ActivityFailure ||
    err instanceof ChildWorkflowFailure ||
    // An ApplicationFailure that only re-throws its cause ("… failed") adds nothing either.
    (err instanceof ApplicationFailure && err.cause instanceof Error && !err.message)
  );
}

/** The innermost failure in `err`'s cause chain that is not a wrapper. */
export function rootCause(err: unknown): RootCause {
  let found: Error | undefined;
  const seen = new Set<unknown>();
  for (let e: unknown = err; e instanceof Error && !seen.has(e); e = e.cause) {
    seen.add(e);
    if (!isWrapper(e)) found = e;
  }
  if (!found) {
    // Nothing but wrappers: the innermost one's message is all there is.
    let last: unknown = err;
    for (let e: unknown = err; e instanceof Error; e = e.cause) last = e;
    return { message: last instanceof Error ? last.message : String(last) };
  }
  if (found instanceof CancelledFailure) return { type: 'Cancelled', message: found.message || 'cancelled' };
  if (found instanceof TerminatedFailure) return { type: 'Cancelled', message: found.message || 'terminated' };
  if (found instanceof ApplicationFailure) return { type: found.type ?? undefined, message: found.message };
  return { message: found.message };
}

/** "cause — fix" for a failure chain; a message that already ends with its fix is not given it twice. */
export function describeFailure(err: unknown): string {
  const { type, message } = rootCause(err);
  return message.endsWith(ruleOf(type).fix) ? message : withFix(type, message);
}
