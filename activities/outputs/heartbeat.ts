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
