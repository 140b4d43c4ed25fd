import { ApplicationFailure } from '@temporalio/workflow';

/** The first ApplicationFailure in a failure's cause chain (a child's or an activity's failure, say). */
export function applicationFailureIn(err: unknown): ApplicationFailure | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof ApplicationFailure) return e;
  }
  return undefined;
}
