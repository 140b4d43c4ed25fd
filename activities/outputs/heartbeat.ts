import { Context } from '@temporalio/activity';

/** Reports progress to Temporal; a no-op when called outside an activity (unit tests, scripts). */
export type Heartbeat = (details?: unknown) => void;

export const activityHeartbeat: Heartbeat = (details) => {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return;
  }
  context.heartbeat(details);
  // A cancelled activity should stop writing rather than finish a folder nobody waits for.
  if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason;
};

/** Whether `err` is the activity's cancellation (which must propagate, never be swallowed). */
export function isCancellation(err: unknown): boolean {
  try {
    const context = Context.current();
    return context.cancellationSignal.aborted && err === context.cancellationSignal.reason;
  } catch {
    return false;
  }
}

/** A warning in the activity's log (with its workflow and attempt), or on stderr outside an activity. */
export function logWarning(message: string, attributes: Record<string, unknown> = {}): void {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    console.warn(`thumbgate outputs: ${message}`);
    return;
  }
  context.log.warn(message, attributes);
}
