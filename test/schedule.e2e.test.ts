/**
 * `thumbgate schedule` end to end: the CLI as a process creates real Temporal Schedules on the suite's
 * dev server, `trigger` fires them, and the in-process pipeline (workers + Segmind emulator) runs what
 * they start — the day's batch under its derived id, or a failed firing that paid for nothing.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { BatchResult } from '../shared/batch-workflow.js';
import type { CompletionSummary } from '../shared/notification.js';
import { scheduledRun } from '../shared/schedule.js';
import { scheduledStartTimeKey, stageKey, thumbnailCountKey } from '../shared/search-attributes.js';
import type { scheduledBatchWorkflow } from '../workflows/scheduled-batch.js';
import { startReceiver, type CallbackReceiver } from './helpers/callback-receiver.js';
import { thumbgate } from './helpers/cli-process.js';
import { eventually } from './helpers/eventually.js';
import { workflowFailure } from './helpers/rejection.js';
import { scheduledActivities } from './helpers/history.js';
import { startPipeline, workflowBundle, type Pipeline } from './helpers/pipeline.js';

const TIMEZONE = 'Asia/Kolkata';
/** Signs the completion callbacks (THUMBGATE_WEBHOOK_SECRET in production). */
const WEBHOOK_SECRET = 'schedule-test-secret-of-32-or-more-chars';

const briefs = (n: number): string =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({ id: `sched-${i}`, prompt: `a chef plating a dessert, take ${i}`, size: '448x256' })
  ).join('\n') + '\n';

describe('thumbgate schedule against a running pipeline', () => {
  let p: Pipeline;
  let receiver: CallbackReceiver;
  let client: Client;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  const created: string[] = [];
  /** Unique per run: the dev server is shared by every test file. */
  const prefix = `s${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    receiver = await startReceiver();
    // The manifest root of the workers and of the CLI: the same folder, as in a deployment.
    dir = await mkdtemp(join(tmpdir(), 'thumbgate-schedule-'));
    p = await startPipeline({ webhookSecret: WEBHOOK_SECRET, manifestRoot: dir });
    client = p.env.client;
    env = {
      TEMPORAL_ADDRESS: process.env.TEMPORAL_TEST_ADDRESS,
      THUMBGATE_TASK_QUEUE: p.taskQueue,
      THUMBGATE_STORE_DIR: p.store.root,
      THUMBGATE_MANIFEST_ROOT: dir,
    };
  });
  afterAll(async () => {
    for (const id of created)
      await client?.schedule
        .getHandle(id)
        .delete()
        .catch(() => undefined);
    await p?.teardown();
    await receiver?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Creates a schedule through the CLI; it fires only when triggered (06:00 Kolkata is far off or skipped). */
  async function create(name: string, template: string, extra: string[] = []): Promise<string> {
    const id = `${prefix}-${name}`;
    const r = await thumbgate(
      [
        'schedule',
        'create',
        id,
        '--manifest',
        template,
        '--cron',
        '0 6 * * *',
        '--timezone',
        TIMEZONE,
        ...extra,
        '--json',
      ],
      env
    );
    expect(r).toMatchObject({ code: 0 });
    created.push(id);
    return id;
  }

  /** Triggers through the CLI and returns the run that firing started. */
  async function trigger(id: string): Promise<WorkflowHandle<typeof scheduledBatchWorkflow>> {
    const before = (await client.schedule.getHandle(id).describe()).info.recentActions.length;
    const r = await thumbgate(['schedule', 'trigger', id, '--json'], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ scheduleId: id, triggered: true });
    const action = await eventually('the firing', async () => {
      const { recentActions } = (await client.schedule.getHandle(id).describe()).info;
      return recentActions.length > before ? recentActions.at(-1) : undefined;
    });
    const { workflowId, firstExecutionRunId } = action.action.workflow;
    return client.workflow.getHandle<typeof scheduledBatchWorkflow>(workflowId, firstExecutionRunId);
  }

  /** The batch id and manifest path the run derived, recomputed from the time the schedule stamped on it. */
  async function expectedRun(run: WorkflowHandle, id: string, template: string) {
    const described = await run.describe();
    const stamped = described.typedSearchAttributes.get(scheduledStartTimeKey);
    expect(stamped).toBeInstanceOf(Date);
    // The run worked from the time the schedule stamped on it, not from when its worker got to it.
    expect(described.memo?.scheduledFor).toBe(stamped!.toISOString());
    return scheduledRun({ scheduleId: id, manifestTemplate: template, timezone: TIMEZONE }, stamped!);
  }

  async function expectNoBatch(batchId: string): Promise<void> {
    await expect(client.workflow.getHandle(batchId).describe()).rejects.toThrow(WorkflowNotFoundError);
  }

  test('a trigger with the day’s manifest present runs the batch under the derived id to completion', async () => {
    const template = join(dir, 'ok', '{date}.jsonl');
    await mkdir(join(dir, 'ok'));
    // Today and tomorrow in Kolkata, so a trigger just before local midnight still finds its file.
    for (const at of [new Date(), new Date(Date.now() + 86_400_000)]) {
      const { manifestPath } = scheduledRun({ scheduleId: 'x', manifestTemplate: template, timezone: TIMEZONE }, at);
      await writeFile(manifestPath, briefs(2));
    }
    const id = await create('ok', template, ['--max-usd', '40', '--candidates', '2', '--catchup-window', '2h']);
    const billedBefore = p.emulator.totalBilledMicros();

    const run = await trigger(id);
    const result: BatchResult = await run.result();
    const expected = await expectedRun(run, id, template);
    expect(expected.batchId).toMatch(new RegExp(`^${id}-\\d{8}-\\d{4}$`));
    expect(result).toMatchObject({ batchId: expected.batchId, status: 'done', thumbnails: 2, succeeded: 2 });
    expect(p.emulator.totalBilledMicros()).toBeGreaterThan(billedBefore);
    // The date and batch id come from history: a replay derives the same ones.
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, await run.fetchHistory());

    // The batch is an ordinary batch: its own workflow, the identity memo and search attributes `start` sets.
    const batch = await client.workflow.getHandle(expected.batchId).describe();
    expect(batch).toMatchObject({ type: 'batchWorkflow', status: { name: 'COMPLETED' } });
    expect(batch.memo).toEqual({
      manifestSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      optionsHash: expect.any(String),
    });
    expect(batch.typedSearchAttributes.get(thumbnailCountKey)).toBe(2);
    expect(batch.typedSearchAttributes.get(stageKey)).toBe('done');

    const described = await thumbgate(['schedule', 'describe', id, '--json'], env);
    expect(described.code).toBe(0);
    const view = JSON.parse(described.stdout) as { nextActionTimes: string[] };
    expect(view).toMatchObject({
      scheduleId: id,
      paused: false,
      cron: '0 6 * * *',
      timezone: TIMEZONE,
      // Given as an absolute path inside the manifest root; kept relative to it.
      manifestTemplate: join('ok', '{date}.jsonl'),
      options: { candidates: 2 },
      budget: { maxMicros: 40_000_000 },
      overlap: 'SKIP',
      catchupWindow: '2h',
      recentActions: [{ batchId: expected.batchId, status: 'COMPLETED', batchStatus: 'COMPLETED' }],
    });
    // 06:00 in Kolkata is 00:30 UTC.
    expect(view.nextActionTimes.length).toBeGreaterThan(0);
    for (const t of view.nextActionTimes) expect(t).toMatch(/T00:30:00(\.000)?Z$/);
  });

  test('a missing manifest fails the firing with ManifestUnavailable naming the path: no retry, no charge', async () => {
    const template = join(dir, 'missing', '{date}.jsonl');
    // Relative to the manifest root, as a template is usually given.
    const id = await create('missing', 'missing/{date}.jsonl', ['--notify-url', receiver.url]);
    const billedBefore = p.emulator.totalBilledMicros();

    const run = await trigger(id);
    const failure = await workflowFailure(run);
    const expected = await expectedRun(run, id, template);
    expect(failure.type).toBe('ManifestUnavailable');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(`file not found (looked for ${expected.manifestPath})`);
    expect(failure.message).toContain(`batch ${expected.batchId}`);

    expect(p.emulator.totalBilledMicros()).toBe(billedBefore);
    await expectNoBatch(expected.batchId);
    // The firing is found to be the schedule's own, then one attempt at the manifest, then the callback;
    // one run (no workflow retry).
    const history = await run.fetchHistory();
    expect(scheduledActivities(history)).toEqual(['verifyScheduleFiring', 'loadScheduledManifest', 'notifyCompletion']);
    const attempts = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes);
    expect(attempts.map((e) => e.activityTaskStartedEventAttributes?.attempt)).toEqual([1, 1, 1]);
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history);
    const latest = await client.workflow.getHandle(run.workflowId).describe();
    expect(latest.runId).toBe((await run.describe()).runId);

    // The scheduler still hears about it, signed, as a failed batch that spent nothing.
    const callback = receiver.received
      .map((c) => JSON.parse(c.body) as CompletionSummary)
      .find((s) => s.batchId === expected.batchId);
    expect(callback).toMatchObject({
      event: 'thumbgate.batch.finished',
      status: 'failed',
      thumbnails: 0,
      spendMicros: 0,
      reason: expect.stringContaining(expected.manifestPath),
    });
    const signed = receiver.received.filter((c) => receiver.verifies(c, WEBHOOK_SECRET));
    expect(signed.map((c) => (JSON.parse(c.body) as CompletionSummary).batchId)).toContain(expected.batchId);

    const described = JSON.parse((await thumbgate(['schedule', 'describe', id, '--json'], env)).stdout) as {
      recentActions: unknown[];
    };
    expect(described.recentActions).toEqual([
      expect.objectContaining({
        batchId: expected.batchId,
        status: 'FAILED',
        batchStatus: 'NOT STARTED',
        failure: expect.stringContaining(expected.manifestPath),
      }),
    ]);
  });

  test('an invalid manifest fails the firing with InvalidManifest naming the line and field', async () => {
    const template = join(dir, 'bad', '{date}.jsonl');
    await mkdir(join(dir, 'bad'));
    const bad = [
      JSON.stringify({ id: 'fine', prompt: 'a cat on a keyboard', size: '448x256' }),
      JSON.stringify({ id: 'empty', prompt: '', size: '448x256' }),
    ].join('\n');
    for (const at of [new Date(), new Date(Date.now() + 86_400_000)]) {
      const { manifestPath } = scheduledRun({ scheduleId: 'x', manifestTemplate: template, timezone: TIMEZONE }, at);
      await writeFile(manifestPath, `${bad}\n`);
    }
    const id = await create('bad', 'bad/{date}.jsonl');
    const billedBefore = p.emulator.totalBilledMicros();

    const run = await trigger(id);
    const failure = await workflowFailure(run);
    const expected = await expectedRun(run, id, template);
    expect(failure.type).toBe('InvalidManifest');
    expect(failure.message).toContain(`${expected.manifestPath} line 2, field "prompt"`);
    expect(p.emulator.totalBilledMicros()).toBe(billedBefore);
    await expectNoBatch(expected.batchId);
    expect(scheduledActivities(await run.fetchHistory())).toEqual(['verifyScheduleFiring', 'loadScheduledManifest']);
  });

  test('list shows every thumbgate schedule; pause, unpause and delete', async () => {
    const cli = async (...args: string[]) => {
      const r = await thumbgate(['schedule', ...args, '--json'], env);
      return { code: r.code, json: r.stdout ? JSON.parse(r.stdout) : undefined };
    };
    // Listing reads visibility, which catches up with a schedule some time after it is created: the
    // earlier tests' schedules are waited for here, the server's answer then read through the CLI.
    const ours = created.slice();
    expect(ours.length).toBeGreaterThan(0);
    await eventually('the schedules in the listing', async () => {
      const seen = new Set<string>();
      for await (const s of client.schedule.list()) seen.add(s.scheduleId);
      return ours.every((id) => seen.has(id)) ? true : undefined;
    });
    const listed = (await cli('list')).json as { scheduleId: string }[];
    expect(listed.filter((r) => r.scheduleId.startsWith(`${prefix}-`)).map((r) => r.scheduleId)).toEqual(
      [...ours].sort()
    );
    expect(listed.find((r) => r.scheduleId === `${prefix}-ok`)).toMatchObject({
      paused: false,
      cron: '0 6 * * *',
      timezone: TIMEZONE,
      manifestTemplate: join('ok', '{date}.jsonl'),
      nextActionTime: expect.stringMatching(/T00:30:00(\.000)?Z$/),
    });

    const id = ours[0]!;
    expect(await cli('pause', id, '--note', 'diwali week')).toEqual({
      code: 0,
      json: { scheduleId: id, paused: true },
    });
    expect((await cli('describe', id)).json).toMatchObject({ paused: true, note: 'diwali week' });
    expect(await cli('unpause', id)).toEqual({ code: 0, json: { scheduleId: id, paused: false } });
    expect((await client.schedule.getHandle(id).describe()).state.paused).toBe(false);

    expect(await cli('delete', id)).toEqual({ code: 0, json: { scheduleId: id, deleted: true } });
    expect((await cli('describe', id)).code).toBe(4);
  });

  test('invalid schedules exit 2 naming the flag, and nothing is created', async () => {
    const attempt = async (name: string, flags: string[]) => {
      const id = `${prefix}-${name}`;
      const r = await thumbgate(['schedule', 'create', id, '--manifest', 'briefs/{date}.jsonl', ...flags], env);
      expect(r.code).toBe(2);
      await expect(client.schedule.getHandle(id).describe()).rejects.toThrow(/not found/i);
      return r.stderr;
    };
    expect(await attempt('cron', ['--cron', '0 25 * * *'])).toMatch(
      /--cron "0 25 \* \* \*" is not valid: hour "25" is not 0–23/
    );
    expect(await attempt('tz', ['--cron', '0 6 * * *', '--timezone', 'Asia/Kolkatta'])).toMatch(
      /--timezone "Asia\/Kolkatta" is not a known time zone/
    );
    const placeholder = await thumbgate(
      ['schedule', 'create', `${prefix}-ph`, '--manifest', 'briefs/{day}.jsonl', '--cron', '0 6 * * *'],
      { ...env, TEMPORAL_ADDRESS: '127.0.0.1:1' }
    );
    expect(placeholder.code).toBe(2);
    expect(placeholder.stderr).toMatch(/--manifest has an unknown placeholder \{day\}/);
    expect(placeholder.stderr).not.toMatch(/cannot reach Temporal/);
    const badId = await thumbgate(['schedule', 'create', '../up', '--manifest', 'x.jsonl', '--cron', '@daily'], env);
    expect(badId.code).toBe(2);
    expect(badId.stderr).toMatch(/SCHEDULE_ID must be letters, digits/);
  });
});
