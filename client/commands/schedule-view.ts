/**
 * `thumbgate schedule list` and `describe`, and what every schedule subcommand reads: a thumbgate
 * schedule by id, its memo, its times in the schedule's zone.
 */
import {
  ScheduleNotFoundError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type ScheduleDescription,
  type ScheduleHandle,
} from '@temporalio/client';
import { formatUsd } from '../../shared/money.js';
import type { ScheduledBatchInput } from '../../shared/schedule.js';
import { command, jsonFlag, type CommandSpec } from '../command-spec.js';
import { scheduleLink, withTemporal, type Connected } from '../connection.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { describeFailure } from '../failure-cause.js';
import { table, type Output } from '../output.js';

export const WORKFLOW_TYPE = 'scheduledBatchWorkflow';
export const DURATION_UNITS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** What the schedule keeps beside its action, for `list` (which does not return the action's input). */
export interface ScheduleMemo {
  cron?: string;
  timezone?: string;
  manifestTemplate?: string;
}

export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms % DURATION_UNITS[unit] === 0) return `${ms / DURATION_UNITS[unit]}${unit}`;
  }
  return `${ms}ms`;
}

/** `2026-11-26 06:00` in the schedule's time zone: the clock time the cron expression speaks of. */
export function inZone(date: Date, timezone: string): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: timezone, dateStyle: 'short', timeStyle: 'short' }).format(date);
}

/** A thumbgate schedule's description; another kind of schedule, or none, is exit 4. */
export async function findSchedule(
  temporal: Connected,
  scheduleId: string
): Promise<{ handle: ScheduleHandle; description: ScheduleDescription }> {
  const handle = temporal.client.schedule.getHandle(scheduleId);
  const notFound = (): CliError =>
    new CliError(
      EXIT.notFound,
      `no thumbgate schedule ${scheduleId} in namespace ${temporal.namespace} (try \`thumbgate schedule list\`)`
    );
  try {
    const description = await handle.describe();
    if (description.action.workflowType !== WORKFLOW_TYPE) throw notFound();
    return { handle, description };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw notFound();
    throw err;
  }
}

/** A subcommand of one SCHEDULE_ID and --json: describe, unpause, trigger, delete. */
export function scheduleIdCommand(
  sub: string,
  summary: string,
  run: (scheduleId: string, out: Output) => Promise<ExitCode>
): CommandSpec<typeof jsonFlag> {
  return command({
    name: `schedule ${sub}`,
    args: ['SCHEDULE_ID'],
    summary,
    flags: jsonFlag,
    run: ({ positionals }, out) => run(positionals[0]!, out),
  });
}

// --- list ---

export const scheduleListCommand = command({
  name: 'schedule list',
  summary: 'The thumbgate schedules: state, cron, time zone, next firing and manifest template.',
  flags: jsonFlag,
  run: list,
});

async function list(_: unknown, out: Output): Promise<ExitCode> {
  return withTemporal(async (temporal) => {
    const rows: {
      scheduleId: string;
      paused: boolean;
      cron?: string;
      timezone?: string;
      manifestTemplate?: string;
      nextActionTime?: string;
      lastActionTime?: string;
    }[] = [];
    for await (const s of temporal.client.schedule.list()) {
      if (s.action?.workflowType !== WORKFLOW_TYPE) continue;
      const memo = (s.memo ?? {}) as ScheduleMemo;
      rows.push({
        scheduleId: s.scheduleId,
        paused: s.state.paused,
        cron: memo.cron,
        timezone: memo.timezone,
        manifestTemplate: memo.manifestTemplate,
        nextActionTime: s.info.nextActionTimes[0]?.toISOString(),
        lastActionTime: s.info.recentActions.at(-1)?.scheduledAt.toISOString(),
      });
    }
    rows.sort((a, b) => (a.scheduleId < b.scheduleId ? -1 : a.scheduleId > b.scheduleId ? 1 : 0));
    out.result(rows, () =>
      rows.length === 0
        ? 'no thumbgate schedules (create one with `thumbgate schedule create`)'
        : table([
            ['schedule', 'state', 'cron', 'time zone', 'next firing', 'manifest'],
            ...rows.map((r) => [
              r.scheduleId,
              r.paused ? 'paused' : 'active',
              r.cron ?? '',
              r.timezone ?? '',
              r.nextActionTime && r.timezone ? inZone(new Date(r.nextActionTime), r.timezone) : '',
              r.manifestTemplate ?? '',
            ]),
          ])
    );
    return EXIT.ok;
  });
}

// --- describe ---

interface RecentFiring {
  scheduledAt: string;
  takenAt: string;
  /** The scheduled run (`scheduledBatchWorkflow`) the firing started. */
  workflowId: string;
  status?: string;
  /** The batch the run started (or would have started: a failed manifest starts none). */
  batchId?: string;
  batchStatus?: string;
  /** Why the run failed, with the fix. */
  failure?: string;
}

/** What one firing led to: its run, the batch the run names in its memo, and why it failed if it did. */
async function firing(
  client: Client,
  action: ScheduleDescription['info']['recentActions'][number]
): Promise<RecentFiring> {
  const { workflowId, firstExecutionRunId } = action.action.workflow;
  const found: RecentFiring = {
    scheduledAt: action.scheduledAt.toISOString(),
    takenAt: action.takenAt.toISOString(),
    workflowId,
  };
  const run = client.workflow.getHandle(workflowId, firstExecutionRunId);
  try {
    const d = await run.describe();
    found.status = d.status.name;
    const batchId = d.memo?.batchId;
    if (typeof batchId === 'string') found.batchId = batchId;
    if (d.status.name === 'FAILED') {
      // The run has ended, so its result is already there.
      await run.result().catch((err: unknown) => {
        if (err instanceof WorkflowFailedError) found.failure = describeFailure(err);
      });
    }
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    found.status = 'GONE (past retention)';
  }
  if (found.batchId) {
    try {
      found.batchStatus = (await client.workflow.getHandle(found.batchId).describe()).status.name;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      found.batchStatus = 'NOT STARTED';
    }
  }
  return found;
}

export const scheduleDescribeCommand = scheduleIdCommand(
  'describe',
  'A schedule in full: cron, manifest, options, policies and next firings. Also its recent firings, with the ' +
    'batch each started, its status and, for a failed one, why and the fix.',
  describe
);

async function describe(scheduleId: string, out: Output): Promise<ExitCode> {
  return withTemporal(async (temporal) => {
    const { description: d } = await findSchedule(temporal, scheduleId);
    const input = d.action.args?.[0] as ScheduledBatchInput;
    const memo = (d.memo ?? {}) as ScheduleMemo;
    const recent = await Promise.all(d.info.recentActions.map((a) => firing(temporal.client, a)));
    const ui = scheduleLink(temporal.namespace, scheduleId);
    const view = {
      scheduleId,
      paused: d.state.paused,
      ...(d.state.note ? { note: d.state.note } : {}),
      cron: memo.cron,
      timezone: input.timezone,
      manifestTemplate: input.manifestTemplate,
      options: input.options,
      ...(input.budget ? { budget: input.budget } : {}),
      ...(input.notifyUrl ? { notifyUrl: input.notifyUrl } : {}),
      taskQueue: d.action.taskQueue,
      overlap: d.policies.overlap,
      catchupWindow: formatDuration(d.policies.catchupWindow),
      nextActionTimes: d.info.nextActionTimes.map((t) => t.toISOString()),
      actionsTaken: d.info.numActionsTaken,
      skippedOverlapping: d.info.numActionsSkippedOverlap,
      missedCatchupWindow: d.info.numActionsMissedCatchupWindow,
      recentActions: recent,
      ui,
    };
    out.result(view, () => {
      const tz = input.timezone;
      const lines = [
        `schedule ${scheduleId}: ${d.state.paused ? `paused${d.state.note ? ` (${d.state.note})` : ''}` : 'active'}`,
        `  cron:      ${memo.cron ?? '(not recorded)'} in ${tz}`,
        `  manifest:  ${input.manifestTemplate} (read on the workers when it fires)`,
        `  options:   ${input.options.candidates} drafts on ${input.options.draftModel}, ` +
          `bottom ${input.options.rerollFraction * 100}% re-rolled on ${input.options.rerollModel}`,
        ...(input.budget?.maxMicros !== undefined
          ? [`  budget:    ${formatUsd(input.budget.maxMicros, 2)} per batch`]
          : []),
        ...(input.notifyUrl ? [`  notify:    ${input.notifyUrl}`] : []),
        `  policies:  overlap ${d.policies.overlap}; catch-up window ${formatDuration(d.policies.catchupWindow)}`,
        `  next:      ${
          d.info.nextActionTimes
            .slice(0, 3)
            .map((t) => inZone(t, tz))
            .join(', ') || 'none'
        }`,
      ];
      if (recent.length === 0) lines.push('no firings yet');
      else {
        lines.push(
          'recent firings:',
          table([
            ['scheduled', 'run', 'batch', 'batch status'],
            ...recent.map((r) => [
              inZone(new Date(r.scheduledAt), tz),
              (r.status ?? '').toLowerCase(),
              r.batchId ?? '',
              (r.batchStatus ?? '').toLowerCase(),
            ]),
          ]),
          ...recent.filter((r) => r.failure).map((r) => `${r.batchId ?? r.workflowId}: ${r.failure}`)
        );
      }
      lines.push(`Temporal UI: ${ui}`);
      return lines.join('\n');
    });
    return EXIT.ok;
  });
}
