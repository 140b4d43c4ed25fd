/**
 * A thumbgate schedule (a Temporal Schedule whose action starts `scheduledBatchWorkflow`): its input and
 * the rules that turn a fire time into the day's manifest path and batch id. Sandbox-safe: the CLI checks
 * a schedule with these rules before creating it, and the workflow applies them when it fires.
 */
import { validateBatchOptions, type BatchOptions } from './batch-options.js';
import { budgetProblems, type BatchBudget } from './budget.js';
import { notifyUrlProblem } from './notification.js';
import { isSafeId, SAFE_ID_RULE } from './thumbnail-brief.js';
import { integerProblem, invalidParameter } from './validation.js';

export interface ScheduledBatchInput {
  scheduleId: string;
  /**
   * Path of the manifest under the workers' manifest root (THUMBGATE_MANIFEST_ROOT), read when the
   * schedule fires; `{date}` becomes the fire date (YYYY-MM-DD) in `timezone`. An absolute path is read
   * only if it lies under the root.
   */
  manifestTemplate: string;
  /** IANA time zone of the cron expression, the `{date}` and the batch id. */
  timezone: string;
  options: BatchOptions;
  budget?: BatchBudget;
  notifyUrl?: string;
  thumbnailsPerRun?: number;
}

/** What one firing works on. */
export interface ScheduledRun {
  /** The fire date in the schedule's time zone, YYYY-MM-DD. */
  date: string;
  /** `${scheduleId}-${YYYYMMDD}-${HHmm}` in the schedule's time zone. */
  batchId: string;
  manifestPath: string;
}

const PLACEHOLDERS = ['date'] as const;
const PLACEHOLDER = /\{([^{}]*)\}/g;

/** `-YYYYMMDD-HHmm`: a schedule id leaves room for it within a batch id's 100 characters. */
const BATCH_ID_SUFFIX_CHARS = 14;
export const MAX_SCHEDULE_ID_CHARS = 100 - BATCH_ID_SUFFIX_CHARS;

/** Why `id` cannot name a schedule (it becomes the prefix of every batch id it starts), or undefined. */
export function scheduleIdProblem(field: string, id: unknown): string | undefined {
  if (!isSafeId(id) || id.length > MAX_SCHEDULE_ID_CHARS) {
    return invalidParameter(
      field,
      `${SAFE_ID_RULE}; at most ${MAX_SCHEDULE_ID_CHARS} characters here, as its batch ids add -YYYYMMDD-HHmm`,
      id
    );
  }
  return undefined;
}

/**
 * An unknown `{placeholder}` in a manifest template, or undefined. A template without one is fine
 * (every firing reads the same file); a typo such as `{data}` would make every firing miss its file.
 */
export function templateProblem(field: string, template: string): string | undefined {
  for (const [, name] of template.matchAll(PLACEHOLDER)) {
    if (!(PLACEHOLDERS as readonly string[]).includes(name ?? '')) {
      return (
        `${field} has an unknown placeholder {${name}}: the one placeholder is {date} (the fire date, YYYY-MM-DD, ` +
        `in the schedule's time zone), e.g. 'briefs/{date}.jsonl'`
      );
    }
  }
  return undefined;
}

/**
 * Why `timezone` is not an IANA time zone name Intl knows, or undefined. Offsets such as `+05:30` are
 * refused: the Temporal server takes zone names only (and a zone keeps daylight saving right).
 */
export function timezoneProblem(field: string, timezone: unknown): string | undefined {
  const fix = 'use an IANA time zone name such as Asia/Kolkata, Europe/London or UTC';
  if (typeof timezone !== 'string' || timezone === '' || /^[+-]/.test(timezone)) {
    return `${invalidParameter(field, 'an IANA time zone name', timezone)} — ${fix}`;
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    return `${field} ${JSON.stringify(timezone)} is not a known time zone — ${fix}`;
  }
  // Intl ignores case, the server's zone files do not; every part of a tz database name is capitalised.
  if (timezone.split('/').some((part) => !/^[A-Z]/.test(part))) {
    const capitalised = timezone.replace(/(^|[/_-])([a-z])/g, (_m, sep: string, c: string) => sep + c.toUpperCase());
    return `${field} ${JSON.stringify(timezone)} must be spelled as in the tz database, e.g. ${JSON.stringify(capitalised)}`;
  }
  return undefined;
}

const MAX_TEMPLATE_CHARS = 1000;

/**
 * Why a manifest template cannot be one, or undefined. Where it points is the worker's to judge (it
 * resolves it under its manifest root, links and all); `..` is refused here already, as it can only
 * mean climbing out of the root.
 */
export function manifestTemplateProblem(field: string, template: unknown): string | undefined {
  const rule = `a path of at most ${MAX_TEMPLATE_CHARS} characters under the workers' manifest root, e.g. 'briefs/{date}.jsonl'`;
  if (typeof template !== 'string' || template.trim() === '' || template.length > MAX_TEMPLATE_CHARS) {
    return invalidParameter(field, rule, template);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f]/.test(template) || template.split(/[\\/]/).includes('..')) {
    return `${invalidParameter(field, rule, template)} — ".." and control characters are not accepted`;
  }
  return templateProblem(field, template);
}

/** `-YYYYMMDD-HHmm` as {@link scheduledRun} writes it (a real month, day, hour and minute). */
const SCHEDULED_SUFFIX = /-\d{4}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])-(?:[01]\d|2[0-3])[0-5]\d$/;
/** What the Temporal server appends to a schedule action's workflow id: `-` and the fire time in RFC 3339. */
const FIRE_TIME_SUFFIX = /^-\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z$/;

/** The schedule a batch id of the scheduled form belongs to (`daily-hi` of `daily-hi-20261126-0600`), or undefined. */
export function scheduleOfBatchId(batchId: string): string | undefined {
  if (!SCHEDULED_SUFFIX.test(batchId)) return undefined;
  const scheduleId = batchId.slice(0, -BATCH_ID_SUFFIX_CHARS);
  return scheduleIdProblem('scheduleId', scheduleId) === undefined ? scheduleId : undefined;
}

/**
 * Whether a scheduled batch id's local date-time can be the UTC `fireTime` in some time zone: the
 * schedule's zone is not known here, so the check is that the difference is a real UTC offset (−12:00
 * to +14:00, whole quarter hours). It stops a firing naming a batch of another day; within those
 * 26 hours the zone, and so the exact time, is not checked.
 */
function localTimeFits(batchId: string, fireTime: string): boolean {
  const d = batchId.slice(-BATCH_ID_SUFFIX_CHARS + 1);
  const local = Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8), +d.slice(9, 11), +d.slice(11, 13));
  const fire = Math.floor(Date.parse(fireTime) / 60_000) * 60_000;
  const offsetMinutes = (local - fire) / 60_000;
  return offsetMinutes >= -12 * 60 && offsetMinutes <= 14 * 60 && offsetMinutes % 15 === 0;
}

/** The id the schedule's action gives its firings' runs; the server appends the fire time to each. */
export function scheduledWorkflowIdPrefix(scheduleId: string): string {
  return `scheduled-${scheduleId}`;
}

/**
 * Why `batchId` may not be used by this start, or undefined. Ids of the scheduled form are reserved for
 * the schedule's own firings: a batch started under a future firing's id by anyone else would take its
 * place (the firing would find it done, and its signed callback would stand for the real one). So such
 * a batch must be the child of a run of that schedule (`parentWorkflowId`: `scheduled-<id>-<fire time>`).
 */
export function reservedBatchIdProblem(field: string, batchId: string, parentWorkflowId?: string): string | undefined {
  const scheduleId = scheduleOfBatchId(batchId);
  if (scheduleId === undefined) return undefined;
  const prefix = scheduledWorkflowIdPrefix(scheduleId);
  if (parentWorkflowId?.startsWith(prefix) && FIRE_TIME_SUFFIX.test(parentWorkflowId.slice(prefix.length))) {
    if (localTimeFits(batchId, parentWorkflowId.slice(prefix.length + 1))) return undefined;
    return (
      `${field} ${JSON.stringify(batchId)} does not name the firing of ${JSON.stringify(parentWorkflowId)}: its ` +
      'date and time are not that fire time in any time zone'
    );
  }
  return (
    `${field} ${JSON.stringify(batchId)} has the form <schedule>-YYYYMMDD-HHmm, which is reserved for the batches ` +
    `schedule ${JSON.stringify(scheduleId)} starts when it fires — choose another id (e.g. without the time, ` +
    'or with a suffix such as -manual)'
  );
}

/** Everything wrong with a scheduled batch's input (any client can create a schedule), naming the field. */
export function scheduledBatchInputProblems(input: ScheduledBatchInput): string[] {
  return [
    scheduleIdProblem('scheduleId', input.scheduleId),
    manifestTemplateProblem('manifestTemplate', input.manifestTemplate),
    timezoneProblem('timezone', input.timezone),
    ...validateBatchOptions(input.options).map((p) => `options.${p.field}: ${p.message}`),
    ...budgetProblems(input.budget),
    input.notifyUrl === undefined ? undefined : notifyUrlProblem('notifyUrl', input.notifyUrl),
    input.thumbnailsPerRun === undefined
      ? undefined
      : integerProblem('thumbnailsPerRun', input.thumbnailsPerRun, { min: 1 }),
  ].filter((p) => p !== undefined);
}

/**
 * The day's manifest path and batch id for a firing at `at`, both from the clock time in the schedule's
 * time zone: a 06:00 Asia/Kolkata firing is 00:30 UTC, and its `{date}` is the Kolkata date. Pure, so the
 * workflow may call it: `at` comes from history and Intl's zone rules for a past instant do not change.
 */
export function scheduledRun(
  schedule: Pick<ScheduledBatchInput, 'scheduleId' | 'manifestTemplate' | 'timezone'>,
  at: Date
): ScheduledRun {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: schedule.timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    // h23: midnight is 00, never 24.
    hourCycle: 'h23',
  }).formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '';
  const [year, month, day] = [part('year').padStart(4, '0'), part('month'), part('day')];
  const date = `${year}-${month}-${day}`;
  return {
    date,
    batchId: `${schedule.scheduleId}-${year}${month}${day}-${part('hour')}${part('minute')}`,
    manifestPath: schedule.manifestTemplate.split('{date}').join(date),
  };
}
