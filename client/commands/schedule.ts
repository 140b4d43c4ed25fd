/**
 * `thumbgate schedule …`: batches on a cron, as Temporal Schedules. Each firing starts
 * `scheduledBatchWorkflow`, which reads the day's manifest on a worker and runs the batch as a child
 * (workflows/scheduled-batch.ts). Everything is checked here before a schedule is created: a schedule
 * that cannot work should fail now, at the desk, not at 06:00. `list` and `describe` are in
 * schedule-view.ts.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import { ManifestSourceError, templateUnderRoot } from '../../node/manifest/index.js';
import { defaultManifestRoot } from '../../node/paths.js';
import {
  scheduleIdProblem,
  scheduledBatchInputProblems,
  scheduledWorkflowIdPrefix,
  templateProblem,
  timezoneProblem,
  type ScheduledBatchInput,
} from '../../shared/schedule.js';
import { taskQueueFromEnv } from '../../shared/task-queues.js';
import type { scheduledBatchWorkflow } from '../../workflows/scheduled-batch.js';
import { command, jsonFlag, type CommandGroup, type FlagValues, type Flags } from '../command-spec.js';
import { scheduleLink, withTemporal } from '../connection.js';
import { cronProblem } from '../cron.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { batchOptionFlags, batchOptionsFromFlags } from '../options-flags.js';
import type { Output } from '../output.js';
import { runFlags, runSettingsFromFlags } from '../run-flags.js';
import {
  DURATION_UNITS,
  WORKFLOW_TYPE,
  findSchedule,
  formatDuration,
  inZone,
  scheduleDescribeCommand,
  scheduleIdCommand,
  scheduleListCommand,
  type ScheduleMemo,
} from './schedule-view.js';

/**
 * Temporal's own default catch-up window is a year: a schedule whose server was down for a week would
 * then start every missed day's batch on its return. An hour lets a short outage catch up and no more.
 */
const DEFAULT_CATCHUP = '1h';
/** The server refuses catch-up windows under 10 s; a minute is the shortest that makes sense here. */
const MIN_CATCHUP_MS = DURATION_UNITS.m;
const MAX_CATCHUP_MS = 365 * DURATION_UNITS.d;

const invalid = (message: string): CliError => new CliError(EXIT.invalidInput, message);

function parseDuration(flag: string, text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text.trim());
  const ms = m ? Number(m[1]) * DURATION_UNITS[m[2] as keyof typeof DURATION_UNITS] : NaN;
  if (!(ms >= MIN_CATCHUP_MS && ms <= MAX_CATCHUP_MS)) {
    throw invalid(`${flag} must be a duration such as 30m, 1h or 2d (from 1m to 365d), got ${JSON.stringify(text)}`);
  }
  return ms;
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

const createFlags = {
  manifest: {
    type: 'string',
    arg: 'TEMPLATE',
    description:
      "the manifest's path under the manifest root (THUMBGATE_MANIFEST_ROOT), read on the workers when it fires; " +
      "{date} is the fire date, e.g. 'briefs/{date}.jsonl'",
    required: true,
  },
  cron: { type: 'string', arg: 'EXPR', description: "when it fires, e.g. '0 6 * * *'", required: true },
  timezone: { type: 'string', arg: 'TZ', description: 'IANA time zone of the cron expression', default: 'UTC' },
  'catchup-window': {
    type: 'string',
    arg: 'DURATION',
    description: 'how late a missed firing may still start, 1m to 365d',
    default: DEFAULT_CATCHUP,
  },
  ...jsonFlag,
  ...batchOptionFlags,
  ...runFlags,
} as const satisfies Flags;

const createCommand = command({
  name: 'schedule create',
  args: ['SCHEDULE_ID'],
  summary: "Creates a schedule that starts a batch from the day's manifest on a cron; everything is checked first.",
  flags: createFlags,
  run: create,
});

async function create(
  { values, positionals }: { values: FlagValues<typeof createFlags>; positionals: string[] },
  out: Output
): Promise<ExitCode> {
  const scheduleId = positionals[0]!;
  const idProblem = scheduleIdProblem('SCHEDULE_ID', scheduleId);
  if (idProblem) throw invalid(idProblem);
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
        spec: { cronExpressions: [values.cron], timezone: input.timezone },
        action: {
          type: 'startWorkflow',
          workflowType: WORKFLOW_TYPE,
          // The server appends the fire time, so each firing has its own id.
          workflowId: scheduledWorkflowIdPrefix(scheduleId),
          taskQueue: taskQueueFromEnv(process.env),
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

// --- pause, unpause, trigger, delete ---

const pauseFlags = {
  note: { type: 'string', arg: 'TEXT', description: 'why, shown in `schedule describe` and the Temporal UI' },
  ...jsonFlag,
} as const satisfies Flags;

const pauseCommand = command({
  name: 'schedule pause',
  args: ['SCHEDULE_ID'],
  summary: 'Pauses a schedule: it does not fire until unpaused.',
  flags: pauseFlags,
  run: ({ values, positionals }, out) => pause(positionals[0]!, out, true, values.note),
});

const unpauseCommand = scheduleIdCommand('unpause', 'Unpauses a schedule.', (id, out) => pause(id, out, false));

async function pause(scheduleId: string, out: Output, paused: boolean, note?: string): Promise<ExitCode> {
  return withTemporal(async (temporal) => {
    const { handle } = await findSchedule(temporal, scheduleId);
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

const triggerCommand = scheduleIdCommand(
  'trigger',
  'Fires a schedule now (skipped while its last firing still runs).',
  trigger
);

async function trigger(scheduleId: string, out: Output): Promise<ExitCode> {
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

const deleteCommand = scheduleIdCommand('delete', 'Deletes a schedule; batches it started are not affected.', remove);

async function remove(scheduleId: string, out: Output): Promise<ExitCode> {
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

export const scheduleCommands: CommandGroup = {
  name: 'schedule',
  summary: 'Batches on a cron, as Temporal Schedules.',
  subcommands: [
    createCommand,
    scheduleListCommand,
    scheduleDescribeCommand,
    pauseCommand,
    unpauseCommand,
    triggerCommand,
    deleteCommand,
  ],
};
