/**
 * `thumbgate schedule …`: batches on a cron, as Temporal Schedules. Each firing starts
 * `scheduledBatchWorkflow`, which reads the day's manifest on a worker and runs the batch as a child
 * (workflows/scheduled-batch.ts). Everything is checked here before a schedule is created: a schedule
 * that cannot work should fail now, at the desk, not at 06:00.
 */
import { parseArgs } from 'node:util';
import { ManifestSourceError, templateUnderRoot } from '../../node/manifest/index.js';
import { defaultManifestRoot } from '../../node/paths.js';
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type ScheduleDescription,
  type ScheduleHandle,
} from '@temporalio/client';
import { microsToUsd } from '../../shared/price-card.js';
import {
  scheduleIdProblem,
  scheduledBatchInputProblems,
  scheduledWorkflowIdPrefix,
  templateProblem,
  timezoneProblem,
  type ScheduledBatchInput,
} from '../../shared/schedule.js';
import { GENERATION_TASK_QUEUE } from '../../shared/task-queues.js';
import type { scheduledBatchWorkflow } from '../../workflows/scheduled-batch.js';
import { connectTemporal, scheduleLink, type Connected } from '../connection.js';
import { cronProblem } from '../cron.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { describeFailure } from '../failure-cause.js';
import { batchOptionFlags, batchOptionsFromFlags } from '../options-flags.js';
import { table, type Output } from '../output.js';
import { runFlags, runFlagsUsage, runSettingsFromFlags } from '../run-flags.js';

export const scheduleUsage = `thumbgate schedule create SCHEDULE_ID --manifest TEMPLATE --cron EXPR [--timezone TZ]
    [--catchup-window DURATION] [batch options as for start] ${runFlagsUsage} [--json]
    (TEMPLATE: a path the workers can read, {date} = the fire date, e.g. 'briefs/{date}.jsonl')
  thumbgate schedule list [--json]
  thumbgate schedule describe|trigger|unpause|delete SCHEDULE_ID [--json]
  thumbgate schedule pause SCHEDULE_ID [--note TEXT] [--json]`;

const WORKFLOW_TYPE = 'scheduledBatchWorkflow';

/**
 * Temporal's own default catch-up window is a year: a schedule whose server was down for a week would
 * then start every missed day's batch on its return. An hour lets a short outage catch up and no more.
 */
const DEFAULT_CATCHUP = '1h';
const DURATION_UNITS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** The server refuses catch-up windows under 10 s; a minute is the shortest that makes sense here. */
const MIN_CATCHUP_MS = DURATION_UNITS.m;
const MAX_CATCHUP_MS = 365 * DURATION_UNITS.d;

/** What the schedule keeps beside its action, for `list` (which does not return the action's input). */
interface ScheduleMemo {
  cron?: string;
  timezone?: string;
  manifestTemplate?: string;
}

const invalid = (message: string): CliError => new CliError(EXIT.invalidInput, message);

function usageError(message: string): CliError {
  return invalid(`${message}\nusage: ${scheduleUsage}`);
}

function parseDuration(flag: string, text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text.trim());
  const ms = m ? Number(m[1]) * DURATION_UNITS[m[2] as keyof typeof DURATION_UNITS] : NaN;
  if (!(ms >= MIN_CATCHUP_MS && ms <= MAX_CATCHUP_MS)) {
    throw invalid(`${flag} must be a duration such as 30m, 1h or 2d (from 1m to 365d), got ${JSON.stringify(text)}`);
  }
  return ms;
}

function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms % DURATION_UNITS[unit] === 0) return `${ms / DURATION_UNITS[unit]}${unit}`;
  }
  return `${ms}ms`;
}

/** `2026-11-26 06:00` in the schedule's time zone: the clock time the cron expression speaks of. */
function inZone(date: Date, timezone: string): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: timezone, dateStyle: 'short', timeStyle: 'short' }).format(date);
}

function oneId(positionals: string[]): string {
  if (positionals.length !== 1) throw usageError('give exactly one SCHEDULE_ID');
  return positionals[0]!;
}

/** A thumbgate schedule's description; another kind of schedule, or none, is exit 4. */
async function findSchedule(
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

async function withTemporal<T>(run: (temporal: Connected) => Promise<T>): Promise<T> {
  const temporal = await connectTemporal();
  try {
    return await run(temporal);
  } finally {
    await temporal.close();
  }
}

// --- create ---

/** `--manifest` relative to the manifest root, or exit 2 when it points (or leads, by a link) outside it. */
async function manifestUnderRoot(template: string): Promise<string> {
  const root = defaultManifestRoot();
  try {
    return await templateUnderRoot(root, template);
  } catch (err) {
    if (!(err instanceof ManifestSourceError)) throw err;
    throw invalid(
      `--manifest: ${err.message} (e.g. --manifest 'briefs/{date}.jsonl'), or set THUMBGATE_MANIFEST_ROOT — ` +
        'the CLI and the workers must name the same folder. Nothing was created.'
    );
  }
}

async function create(argv: string[], out: Output): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      manifest: { type: 'string' },
      cron: { type: 'string' },
      timezone: { type: 'string', default: 'UTC' },
      'catchup-window': { type: 'string', default: DEFAULT_CATCHUP },
      json: { type: 'boolean' },
      ...batchOptionFlags,
      ...runFlags,
    },
  });
  const scheduleId = oneId(positionals);
  const idProblem = scheduleIdProblem('SCHEDULE_ID', scheduleId);
  if (idProblem) throw invalid(idProblem);
  if (!values.manifest) throw usageError('--manifest TEMPLATE is required');
  if (!values.cron) throw usageError('--cron EXPR is required');
  const problem =
    templateProblem('--manifest', values.manifest) ??
    cronProblem('--cron', values.cron) ??
    timezoneProblem('--timezone', values.timezone);
  if (problem) throw invalid(problem);
  const catchupWindow = parseDuration('--catchup-window', values['catchup-window']);
  const input: ScheduledBatchInput = {
    scheduleId,
    // Workers read the file when the schedule fires, only from under their manifest root: kept relative
    // to it, so the CLI and the workers may mount the same folder at different paths.
    manifestTemplate: await manifestUnderRoot(values.manifest),
    timezone: values.timezone,
    options: batchOptionsFromFlags(values),
    ...(await runSettingsFromFlags(values)),
  };
  // The workflow checks its input with these rules too; here they stop a schedule that would only fail.
  const problems = scheduledBatchInputProblems(input);
  if (problems.length > 0) throw invalid(problems.join('; '));
  const memo: ScheduleMemo = { cron: values.cron, timezone: input.timezone, manifestTemplate: input.manifestTemplate };

  return withTemporal(async (temporal) => {
    try {
      await temporal.client.schedule.create<typeof scheduledBatchWorkflow>({
        scheduleId,
        spec: { cronExpressions: [values.cron!], timezone: input.timezone },
        action: {
          type: 'startWorkflow',
          workflowType: WORKFLOW_TYPE,
          // The server appends the fire time, so each firing has its own id.
          workflowId: scheduledWorkflowIdPrefix(scheduleId),
          taskQueue: process.env.THUMBGATE_TASK_QUEUE ?? GENERATION_TASK_QUEUE,
          args: [input],
          staticSummary: `thumbgate schedule ${scheduleId}: ${input.manifestTemplate}`,
        },
        // A day's batch still running when the next firing comes is left to finish; the firing is skipped.
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow },
        memo: { ...memo },
      });
    } catch (err) {
      if (err instanceof ScheduleAlreadyRunning) {
        throw invalid(
          `schedule ${scheduleId} already exists — choose another SCHEDULE_ID, or \`thumbgate schedule delete ${scheduleId}\` first`
        );
      }
      throw err;
    }
    const { description } = await findSchedule(temporal, scheduleId);
    const next = description.info.nextActionTimes.map((t) => t.toISOString());
    const ui = scheduleLink(temporal.namespace, scheduleId);
    out.result(
      {
        scheduleId,
        created: true,
        cron: values.cron,
        timezone: input.timezone,
        manifestTemplate: input.manifestTemplate,
        catchupWindow: formatDuration(catchupWindow),
        nextActionTimes: next,
        ui,
      },
      () =>
        [
          `created schedule ${scheduleId}: ${values.cron} in ${input.timezone}` +
            (description.info.nextActionTimes[0]
              ? `; next firing ${inZone(description.info.nextActionTimes[0], input.timezone)}`
              : ''),
          `manifest: ${input.manifestTemplate} under the manifest root (THUMBGATE_MANIFEST_ROOT, here ` +
            `${defaultManifestRoot()}) — read on the workers when the schedule fires, so it must exist under theirs`,
          `Temporal UI: ${ui}`,
        ].join('\n')
    );
    return EXIT.ok;
  });
}

// --- list ---

async function list(argv: string[], out: Output): Promise<ExitCode> {
  parseArgs({ args: argv, options: { json: { type: 'boolean' } } });
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

async function describe(argv: string[], out: Output): Promise<ExitCode> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const scheduleId = oneId(positionals);
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
          ? [`  budget:    $${microsToUsd(input.budget.maxMicros).toFixed(2)} per batch`]
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

// --- pause, unpause, trigger, delete ---

async function pause(argv: string[], out: Output, paused: boolean): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, ...(paused ? { note: { type: 'string' } } : {}) },
  });
  const scheduleId = oneId(positionals);
  return withTemporal(async (temporal) => {
    const { handle } = await findSchedule(temporal, scheduleId);
    const note = (values as { note?: string }).note;
    if (paused) await handle.pause(note ?? 'paused with `thumbgate schedule pause`');
    else await handle.unpause('unpaused with `thumbgate schedule unpause`');
    out.result({ scheduleId, paused }, () =>
      paused
        ? `paused schedule ${scheduleId}: it fires again after \`thumbgate schedule unpause ${scheduleId}\``
        : `unpaused schedule ${scheduleId}`
    );
    return EXIT.ok;
  });
}

async function trigger(argv: string[], out: Output): Promise<ExitCode> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const scheduleId = oneId(positionals);
  return withTemporal(async (temporal) => {
    const { handle, description } = await findSchedule(temporal, scheduleId);
    const running = description.info.runningActions[0]?.workflow.workflowId;
    if (running) {
      out.result(
        { scheduleId, triggered: false, running },
        () =>
          `schedule ${scheduleId} is still running ${running}; overlapping firings are skipped, so nothing was triggered`
      );
      return EXIT.ok;
    }
    // The schedule's own policy: a firing that started meanwhile makes this one a no-op, not a second batch.
    await handle.trigger(ScheduleOverlapPolicy.SKIP);
    out.result(
      { scheduleId, triggered: true },
      () => `triggered schedule ${scheduleId}; follow it with \`thumbgate schedule describe ${scheduleId}\``
    );
    return EXIT.ok;
  });
}

async function remove(argv: string[], out: Output): Promise<ExitCode> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const scheduleId = oneId(positionals);
  return withTemporal(async (temporal) => {
    const { handle } = await findSchedule(temporal, scheduleId);
    await handle.delete();
    out.result(
      { scheduleId, deleted: true },
      () => `deleted schedule ${scheduleId} (batches it started are not affected)`
    );
    return EXIT.ok;
  });
}

export async function schedule(argv: string[], out: Output): Promise<ExitCode> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'create':
      return create(rest, out);
    case 'list':
      return list(rest, out);
    case 'describe':
      return describe(rest, out);
    case 'pause':
      return pause(rest, out, true);
    case 'unpause':
      return pause(rest, out, false);
    case 'trigger':
      return trigger(rest, out);
    case 'delete':
      return remove(rest, out);
    default:
      throw usageError(sub === undefined ? 'a subcommand is required' : `unknown subcommand ${JSON.stringify(sub)}`);
  }
}
