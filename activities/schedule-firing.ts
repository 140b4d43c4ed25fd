/**
 * Whether a run of `scheduledBatchWorkflow` is a firing of the schedule its input names. Any client with
 * Temporal access can start that workflow by hand under a well-formed id; its input decides the batch id
 * (through the time zone) and the signed callback, so the run checks it against what the schedule itself
 * would start, as the server describes it. Reads through the worker's own client (same namespace and
 * data converter), so nothing else is configured for it.
 */
import { isDeepStrictEqual } from 'node:util';
import { Context } from '@temporalio/activity';
import { ScheduleNotFoundError } from '@temporalio/client';
import { scheduledWorkflowIdPrefix, type ScheduledBatchInput } from '../shared/schedule.js';

/** Empty when the calling run is a firing of its schedule; otherwise each thing that differs, in words. */
export interface ScheduleFiringVerdict {
  problems: string[];
}

export function createScheduleFiringActivities() {
  /**
   * Compares the calling run (its id and type, from the activity's context, not from an argument) and its
   * input with the schedule `input.scheduleId`. A schedule that does not exist is a verdict, not an error
   * (retrying would find it missing again); a failure to describe it is thrown, for the retry policy.
   */
  async function verifyScheduleFiring(input: ScheduledBatchInput): Promise<ScheduleFiringVerdict> {
    const { client, info } = Context.current();
    const { scheduleId } = input;
    let description;
    try {
      description = await client.schedule.getHandle(scheduleId).describe();
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) {
        return {
          problems: [`no schedule ${JSON.stringify(scheduleId)} exists (deleted, or never created)`],
        };
      }
      throw err;
    }
    const { action } = description;
    const prefix = scheduledWorkflowIdPrefix(scheduleId);
    const problems: string[] = [];
    if (action.type !== 'startWorkflow' || action.workflowType !== info.workflowType) {
      problems.push(`schedule ${JSON.stringify(scheduleId)} does not start ${info.workflowType ?? 'this workflow'}`);
    } else if (action.workflowId !== prefix) {
      problems.push(`schedule ${JSON.stringify(scheduleId)} starts its runs under another workflow id`);
    }
    // The server appends `-<fire time>` to the action's id: a run under any other id was not started by it.
    if (!(info.workflowExecution?.workflowId ?? '').startsWith(`${prefix}-`)) {
      problems.push(`this run's workflow id does not start with ${JSON.stringify(`${prefix}-`)}`);
    }
    // Every field, not only those that name the batch (scheduleId, manifestTemplate, timezone): options,
    // budget and the callback URL are the schedule's too. Names only — values may hold a receiver's token.
    const scheduled = (action.args?.[0] ?? {}) as Record<string, unknown>;
    const given = input as unknown as Record<string, unknown>;
    const differing = [...new Set([...Object.keys(scheduled), ...Object.keys(given)])]
      .filter((key) => !isDeepStrictEqual(scheduled[key], given[key]))
      .sort();
    if (differing.length > 0) {
      problems.push(`its input differs from the schedule's in ${differing.join(', ')}`);
    }
    return { problems };
  }

  return { verifyScheduleFiring };
}
