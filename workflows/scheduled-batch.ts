import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  executeChild,
  isCancellation,
  patched,
  proxyActivities,
  setCurrentDetails,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { createScheduleFiringActivities } from '../activities/schedule-firing.js';
import type { createScheduledManifestActivities } from '../activities/scheduled-manifest.js';
import { batchStartLabels } from '../shared/batch-labels.js';
import type { BatchResult } from '../shared/batch-workflow.js';
import {
  MAX_REASON_CHARS,
  boundedMessage,
  failure,
  isFailureType,
  withFix,
  type FailureType,
} from '../shared/failures.js';
import type { CompletionSummary } from '../shared/notification.js';
import { scheduledBatchInputProblems, scheduledRun, type ScheduledBatchInput } from '../shared/schedule.js';
import { scheduledStartTimeKey } from '../shared/search-attributes.js';
import { batchWorkflow } from './batch.js';
import { applicationFailureIn } from './failure-chain.js';
import { notify } from './notify.js';

const { loadScheduledManifest } = proxyActivities<ReturnType<typeof createScheduledManifestActivities>>({
  startToCloseTimeout: '2 minutes',
  // A missing or invalid manifest fails at once (non-retryable); a store hiccup is retried for a while.
  scheduleToCloseTimeout: '30 minutes',
  retry: { maximumInterval: '30 seconds' },
});

const { verifyScheduleFiring } = proxyActivities<ReturnType<typeof createScheduleFiringActivities>>({
  startToCloseTimeout: '1 minute',
  // A run that is no firing of its schedule is a verdict (no retry); a Temporal hiccup is retried a while.
  scheduleToCloseTimeout: '30 minutes',
  retry: { maximumInterval: '30 seconds' },
});

/** How far a firing's nominal time may be after its run's start: clock skew between server parts. */
const MAX_SCHEDULED_TIME_AHEAD_MS = 60_000;

/**
 * The time this firing was scheduled for: the schedule sets `TemporalScheduledStartTime` on every run
 * it starts (a trigger's is the trigger time). A run started by hand falls back to its start time.
 * Both come from history, so replay derives the same date.
 */
function scheduledTime(): Date {
  const info = workflowInfo();
  const typed = info.typedSearchAttributes.get(scheduledStartTimeKey);
  if (typed instanceof Date && !Number.isNaN(typed.getTime())) return typed;
  // Older servers send the attribute without type metadata: the untyped map still has it.
  const untyped = info.searchAttributes?.[scheduledStartTimeKey.name]?.[0];
  const parsed = untyped instanceof Date ? untyped : typeof untyped === 'string' ? new Date(untyped) : undefined;
  return parsed && !Number.isNaN(parsed.getTime()) ? parsed : info.startTime;
}

/** The callback a failed firing sends: the batch never started, so nothing was done or spent. */
function failedSummary(
  scheduleId: string,
  batchId: string,
  type: string | undefined,
  message: string
): CompletionSummary {
  return {
    event: 'thumbgate.batch.finished',
    batchId,
    // The batch never existed: the scheduled run is where the failure is shown.
    workflowId: workflowInfo().workflowId,
    schedule: scheduleId,
    status: 'failed',
    reason: boundedMessage(withFix(type, message), MAX_REASON_CHARS),
    thumbnails: 0,
    succeeded: 0,
    failed: 0,
    rerolled: 0,
    rerollWins: 0,
    spendMicros: 0,
    spendUsd: 0,
    costPerUsableUsd: 0,
    finishedAt: new Date().toISOString(),
  };
}

/**
 * One firing of a thumbgate schedule: first checked to be one (the schedule exists and would start this
 * run with this input, or the run fails with InvalidBatchInput), then the day's manifest (the template with the fire date in the
 * schedule's time zone) is read, validated and stored by an activity, then the batch runs as a child
 * with the id `${scheduleId}-${YYYYMMDD}-${HHmm}`, and its result is this run's result (the batch sends
 * its own completion callback). A missing or invalid manifest fails this run — shown as Failed in the UI
 * with the path or the lines at fault — after the callback, if the schedule has one; no batch starts,
 * so nothing is paid for, and nothing retries.
 */
export async function scheduledBatchWorkflow(input: ScheduledBatchInput): Promise<BatchResult> {
  const problems = scheduledBatchInputProblems(input);
  if (problems.length > 0) throw failure('InvalidBatchInput', problems.join('; '));
  const at = scheduledTime();
  // The firing time comes from a search attribute any client can set on a hand start: a time after this
  // run started would let it take a future firing's batch id (and its signed callback). A schedule
  // starts its run at or after the nominal time, a trigger at the trigger time.
  if (at.getTime() > workflowInfo().startTime.getTime() + MAX_SCHEDULED_TIME_AHEAD_MS) {
    throw failure(
      'InvalidBatchInput',
      `the scheduled time ${at.toISOString()} (${scheduledStartTimeKey.name}) is after this run started ` +
        `(${workflowInfo().startTime.toISOString()}) — only the schedule starts scheduled batches; ` +
        'start a batch by hand with `thumbgate start`'
    );
  }
  const run = scheduledRun(input, at);
  // `thumbgate schedule describe` reads which batch each firing started from here.
  upsertMemo({ batchId: run.batchId, manifestPath: run.manifestPath, scheduledFor: at.toISOString() });
  setCurrentDetails(`**${run.batchId}** from \`${run.manifestPath}\``);
  const where = `schedule ${input.scheduleId}, firing for ${run.date} (batch ${run.batchId})`;

  let loaded;
  try {
    // Any client can start this workflow under a well-formed id with an input of its own (another time
    // zone names a batch of a firing hours ahead, with its signed callback): the run goes on only if the
    // schedule it names would have started it with this very input. Runs from before the check replay without it.
    if (patched('verify-schedule')) {
      const { problems } = await verifyScheduleFiring.executeWithOptions({ summary: `schedule ${input.scheduleId}` }, [
        input,
      ]);
      if (problems.length > 0) {
        throw failure(
          'InvalidBatchInput',
          `this run is not a firing of schedule ${input.scheduleId}: ${problems.join('; ')} — only the schedule ` +
            'starts its firings (`thumbgate schedule trigger` fires one now)'
        );
      }
    }
    loaded = await loadScheduledManifest.executeWithOptions({ summary: `manifest ${run.manifestPath}` }, [
      { path: run.manifestPath, options: input.options },
    ]);
  } catch (err) {
    if (isCancellation(err)) throw err;
    const cause = applicationFailureIn(err);
    const type: FailureType | undefined = isFailureType(cause?.type) ? cause.type : undefined;
    const message = `${where}: ${cause?.message ?? (err as Error).message}`;
    if (input.notifyUrl) await notify(input.notifyUrl, failedSummary(input.scheduleId, run.batchId, type, message));
    // A known type fails the run with that type and the message naming the path; anything else (the
    // activity timed out, say) fails it as it came.
    throw type ? failure(type, message) : err;
  }

  const { batchId } = run;
  try {
    return await executeChild(batchWorkflow, {
      workflowId: batchId,
      args: [
        {
          batchId,
          manifest: loaded.manifest,
          thumbnails: loaded.thumbnails,
          options: input.options,
          ...(input.budget ? { budget: input.budget } : {}),
          ...(input.notifyUrl ? { notifyUrl: input.notifyUrl } : {}),
          ...(input.thumbnailsPerRun ? { thumbnailsPerRun: input.thumbnailsPerRun } : {}),
        },
      ],
      memo: { ...loaded.identity },
      ...batchStartLabels(batchId, loaded.thumbnails, input.options, input.budget),
      // As `thumbgate start`: a failed batch may run again (reusing its paid drafts), a completed one never.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      // Terminating this run cancels the batch rather than killing it, so the batch books what it paid for.
      parentClosePolicy: 'REQUEST_CANCEL',
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw failure(
        'BatchAlreadyCompleted',
        `${where}: batch ${batchId} already exists — it completed, or another run started it (a second trigger ` +
          "in the same minute, or a client that started this schedule's workflow by hand with its exact input); " +
          'nothing was started'
      );
    }
    throw err;
  }
}
