/**
 * A schedule reads its manifest only from under the workers' manifest root, and only from a regular
 * file, a firing's batch id is its own, and a run is a firing only if its schedule would have started
 * it: end to end against the suite's dev server, with the CLI as a
 * process, in-process workers, and a worker process whose environment holds a value to look for.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { manifestBytes, storeManifest } from '../node/stored-manifest.js';
import { resolveBatchOptions } from '../shared/batch-options.js';
import type { BatchResult, BatchWorkflowInput } from '../shared/batch-workflow.js';
import type { CompletionSummary } from '../shared/notification.js';
import { scheduledRun, scheduledWorkflowIdPrefix, type ScheduledBatchInput } from '../shared/schedule.js';
import { scheduledStartTimeKey } from '../shared/search-attributes.js';
import type { batchWorkflow } from '../workflows/batch.js';
import type { scheduledBatchWorkflow } from '../workflows/scheduled-batch.js';
import { startReceiver, type CallbackReceiver } from './helpers/callback-receiver.js';
import { thumbgate } from './helpers/cli-process.js';
import { eventually } from './helpers/eventually.js';
import { scheduledActivities } from './helpers/history.js';
import { makeManifestRoot, type ManifestRoot } from './helpers/manifest-root.js';
import { workflowFailure } from './helpers/rejection.js';
import { TEST_API_KEY, startPipeline, workflowBundle, type Pipeline } from './helpers/pipeline.js';
import { startWorkerProcess, stopAllWorkerProcesses } from './helpers/worker-process.js';

const WEBHOOK_SECRET = 'manifest-root-test-secret-of-32-or-more-chars';
const options = resolveBatchOptions({ size: { width: 448, height: 256 }, candidates: 2 });
const BRIEF = JSON.stringify({ id: 'root-0', prompt: 'a lighthouse at dusk', size: '448x256' }) + '\n';

describe('schedule manifests under the manifest root', () => {
  let p: Pipeline;
  let receiver: CallbackReceiver;
  let client: Client;
  let tree: ManifestRoot;
  let base: string;
  let root: string;
  const prefix = `r${randomUUID().slice(0, 8)}`;
  const created: string[] = [];

  beforeAll(async () => {
    tree = await makeManifestRoot(BRIEF);
    ({ base, root } = tree);
    receiver = await startReceiver();
    p = await startPipeline({ webhookSecret: WEBHOOK_SECRET, manifestRoot: root });
    client = p.env.client;
  });
  afterAll(async () => {
    for (const id of created)
      await client?.schedule
        .getHandle(id)
        .delete()
        .catch(() => undefined);
    await stopAllWorkerProcesses();
    await p?.teardown();
    await receiver?.close();
    await tree?.remove();
  });

  /**
   * A schedule created past the CLI (any client can create one), with the action `thumbgate schedule
   * create` gives it; it fires only when triggered (06:00 UTC is far off or skipped).
   */
  async function createSchedule(
    scheduleId: string,
    manifestTemplate: string,
    taskQueue = p.taskQueue,
    extra: Partial<ScheduledBatchInput> = {}
  ): Promise<ScheduledBatchInput> {
    const input: ScheduledBatchInput = { scheduleId, manifestTemplate, timezone: 'UTC', options, ...extra };
    await client.schedule.create<typeof scheduledBatchWorkflow>({
      scheduleId,
      spec: { cronExpressions: ['0 6 * * *'], timezone: input.timezone },
      action: {
        type: 'startWorkflow',
        workflowType: 'scheduledBatchWorkflow',
        workflowId: scheduledWorkflowIdPrefix(scheduleId),
        taskQueue,
        args: [input],
      },
    });
    created.push(scheduleId);
    return input;
  }

  /** A genuine firing: such a schedule, triggered; the run it started. */
  async function fire(
    scheduleId: string,
    manifestTemplate: string,
    taskQueue = p.taskQueue,
    extra: Partial<ScheduledBatchInput> = {}
  ): Promise<WorkflowHandle<typeof scheduledBatchWorkflow>> {
    await createSchedule(scheduleId, manifestTemplate, taskQueue, extra);
    const schedule = client.schedule.getHandle(scheduleId);
    await schedule.trigger();
    const action = await eventually('the firing', async () => (await schedule.describe()).info.recentActions.at(0));
    const { workflowId, firstExecutionRunId } = action.action.workflow;
    return client.workflow.getHandle<typeof scheduledBatchWorkflow>(workflowId, firstExecutionRunId);
  }

  /** A run started by hand under the id the schedule's action would give a firing now (the server's form). */
  function handStart(input: ScheduledBatchInput): Promise<WorkflowHandle<typeof scheduledBatchWorkflow>> {
    return client.workflow.start<typeof scheduledBatchWorkflow>('scheduledBatchWorkflow', {
      taskQueue: p.taskQueue,
      workflowId: `${scheduledWorkflowIdPrefix(input.scheduleId)}-${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
      args: [input],
    });
  }

  test('the CLI refuses templates outside the root at create: exit 2 naming the flag, nothing created', async () => {
    const env = {
      TEMPORAL_ADDRESS: process.env.TEMPORAL_TEST_ADDRESS,
      THUMBGATE_TASK_QUEUE: p.taskQueue,
      THUMBGATE_MANIFEST_ROOT: root,
    };
    for (const [name, template, why] of [
      ['environ', '/proc/self/environ', /--manifest: "\/proc\/self\/environ" is outside the manifest root/],
      ['climb', '../outside/{date}.jsonl', /is outside the manifest root/],
      ['link', 'dir-out/{date}.jsonl', /leads \(through a symbolic link\) outside the manifest root/],
    ] as const) {
      const id = `${prefix}-${name}`;
      const r = await thumbgate(['schedule', 'create', id, '--manifest', template, '--cron', '@daily'], env);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(why);
      expect(r.stderr).toMatch(/set THUMBGATE_MANIFEST_ROOT — the CLI and the workers must name the same folder/);
      await expect(client.schedule.getHandle(id).describe()).rejects.toThrow(/not found/i);
    }
  });

  test('started past the CLI, /proc/self/environ is refused by the worker, quoting none of its environment', async () => {
    const canary = `canary-${randomUUID()}`;
    const taskQueue = `root-${randomUUID()}`;
    await startWorkerProcess({
      temporalAddress: process.env.TEMPORAL_TEST_ADDRESS!,
      taskQueue,
      storeDir: p.store.root,
      outDir: join(base, 'out'),
      roles: 'generation',
      segmindBaseUrl: p.emulator.url,
      segmindApiKey: TEST_API_KEY,
      env: { THUMBGATE_MANIFEST_ROOT: root, THUMBGATE_TEST_CANARY: canary, THUMBGATE_WEBHOOK_SECRET: WEBHOOK_SECRET },
    });
    const run = await fire(`${prefix}-environ`, '/proc/self/environ', taskQueue);
    const failure = await workflowFailure(run);
    expect(failure.type).toBe('ManifestUnavailable');
    expect(failure.message).toContain(`"/proc/self/environ" is outside the manifest root ${root}`);
    for (const secret of [canary, TEST_API_KEY, WEBHOOK_SECRET]) expect(failure.message).not.toContain(secret);
  }, 120_000);

  test('a FIFO or a link out of the root fails its firing at once; the worker goes on with the next', async () => {
    const billed = p.emulator.totalBilledMicros();
    // More firings at the FIFO than libuv has threads: a blocking open would hold every one of them.
    const runs = await Promise.all([
      ...Array.from({ length: 6 }, (_, i) => fire(`${prefix}-fifo${i}`, 'briefs/pipe.jsonl')),
      fire(`${prefix}-link`, 'briefs/link-out.jsonl', p.taskQueue, { notifyUrl: receiver.url }),
    ]);
    const failures = await Promise.all(runs.map(workflowFailure));
    for (const f of failures.slice(0, 6)) {
      expect(f).toMatchObject({ type: 'ManifestUnavailable', nonRetryable: true });
      expect(f.message).toContain(
        `${join(root, 'briefs', 'pipe.jsonl')} is not a regular file (a FIFO, socket or device)`
      );
    }
    expect(failures[6]?.message).toMatch(
      /"briefs\/link-out.jsonl" leads \(through a symbolic link\) outside the manifest root/
    );
    // The failed firing's callback names its schedule too.
    const callback = receiver.received
      .map((c) => JSON.parse(c.body) as CompletionSummary)
      .find((s) => s.schedule === `${prefix}-link`);
    expect(callback).toMatchObject({ status: 'failed', spendMicros: 0 });
    expect(p.emulator.totalBilledMicros()).toBe(billed);

    // The next firing, of a manifest inside the root, runs its batch; the callback says which schedule.
    const ok = await fire(`${prefix}-ok`, join(root, 'briefs', 'today.jsonl'), p.taskQueue, {
      notifyUrl: receiver.url,
    });
    const result: BatchResult = await ok.result();
    expect(result).toMatchObject({ status: 'done', succeeded: 1 });
    const done = receiver.received
      .map((c) => JSON.parse(c.body) as CompletionSummary)
      .find((s) => s.batchId === result.batchId);
    expect(done).toMatchObject({ status: 'done', schedule: `${prefix}-ok`, batchId: result.batchId });
    // The batch accepted its id from its parent, which its history records: a replay accepts it too.
    const history = await client.workflow.getHandle(result.batchId).fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history);
  }, 180_000);

  test('a batch started under a scheduled batch id by anyone but that schedule is refused by the workflow', async () => {
    const batchId = `${prefix}-daily-20991231-0600`;
    const input: BatchWorkflowInput = {
      batchId,
      manifest: await storeManifest(p.store, manifestBytes([{ id: 'a', prompt: 'p', width: 448, height: 256 }])),
      thumbnails: 1,
      options,
      notifyUrl: receiver.url,
    };
    const billed = p.emulator.totalBilledMicros();
    const handle = await client.workflow.start<typeof batchWorkflow>('batchWorkflow', {
      taskQueue: p.taskQueue,
      workflowId: batchId,
      args: [input],
    });
    const failure = await workflowFailure(handle);
    expect(failure.type).toBe('InvalidBatchInput');
    expect(failure.message).toContain(
      `batchId "${batchId}" has the form <schedule>-YYYYMMDD-HHmm, which is reserved for the batches schedule ` +
        `"${prefix}-daily" starts when it fires`
    );
    expect(p.emulator.totalBilledMicros()).toBe(billed);
    // No "done" for that id ever reached the receiver.
    const forIt = receiver.received
      .map((c) => JSON.parse(c.body) as CompletionSummary)
      .filter((s) => s.batchId === batchId);
    expect(forIt.every((s) => s.status === 'failed')).toBe(true);

    // The CLI refuses it before reaching Temporal.
    await writeFile(join(base, 'one.jsonl'), BRIEF);
    const r = await thumbgate(['start', '--manifest', join(base, 'one.jsonl'), '--batch-id', batchId], {
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      THUMBGATE_STORE_DIR: join(base, 'cli-store'),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--batch-id "${batchId}" has the form <schedule>-YYYYMMDD-HHmm`);
    expect(r.stderr).not.toMatch(/cannot reach Temporal/);
  }, 120_000);

  test('a hand-started firing with a future TemporalScheduledStartTime is refused and starts no batch', async () => {
    const scheduleId = `${prefix}-x`;
    const workflowId = `scheduled-${scheduleId}-2099-12-31T06:00:00Z`;
    const input: ScheduledBatchInput = { scheduleId, manifestTemplate: 'root.jsonl', timezone: 'UTC', options };
    const run = await client.workflow.start<typeof scheduledBatchWorkflow>('scheduledBatchWorkflow', {
      taskQueue: p.taskQueue,
      workflowId,
      args: [input],
      typedSearchAttributes: [{ key: scheduledStartTimeKey, value: new Date('2099-12-31T06:00:00Z') }],
    });
    const failure = await workflowFailure(run);
    expect(failure.type).toBe('InvalidBatchInput');
    expect(failure.message).toContain(
      'the scheduled time 2099-12-31T06:00:00.000Z (TemporalScheduledStartTime) is after'
    );
    // The firing's batch was never started: its id is free.
    const batch = client.workflow.getHandle(`${scheduleId}-20991231-0600`);
    await expect(batch.describe()).rejects.toThrow(/not found/i);
  }, 120_000);

  test('a batch started with a carry (state only a continued run has) is refused, even under a scheduled id', async () => {
    const batchId = `${prefix}-carry-20991231-0600`;
    const manifest = await storeManifest(p.store, manifestBytes([{ id: 'a', prompt: 'p', width: 448, height: 256 }]));
    const carry = { phase: 'drafting', nextBrief: 0, nextReroll: 0, drafted: 0, bottom: [], rerollQueue: [] };
    const input = { batchId, manifest, thumbnails: 1, options, carry } as unknown as BatchWorkflowInput;
    const billed = p.emulator.totalBilledMicros();
    const handle = await client.workflow.start<typeof batchWorkflow>('batchWorkflow', {
      taskQueue: p.taskQueue,
      workflowId: batchId,
      args: [input],
    });
    const failure = await workflowFailure(handle);
    expect(failure.type).toBe('InvalidBatchInput');
    expect(failure.message).toContain('carry is set only by the batch workflow itself when it continues as new');
    expect(failure.message).toContain(`batchId "${batchId}" has the form <schedule>-YYYYMMDD-HHmm`);
    expect(p.emulator.totalBilledMicros()).toBe(billed);
  }, 120_000);

  test('a hand-started run with a schedule’s input but another time zone is refused and starts no batch', async () => {
    const scheduleId = `${prefix}-tz`;
    // A template without {date}: the file is there whatever day the forged zone names, so only the check stops it.
    const real = await createSchedule(scheduleId, 'briefs/today.jsonl', p.taskQueue, { notifyUrl: receiver.url });
    const billed = p.emulator.totalBilledMicros();
    // +14:00 all year: its batch id names the firing of a time up to 14 hours ahead, and that batch's callback.
    const forgedInput = { ...real, timezone: 'Pacific/Kiritimati' };
    const run = await handStart(forgedInput);
    const failure = await workflowFailure(run);
    expect(failure).toMatchObject({ type: 'InvalidBatchInput', nonRetryable: true });
    expect(failure.message).toContain(
      `this run is not a firing of schedule ${scheduleId}: its input differs from the schedule's in timezone — ` +
        'only the schedule starts its firings'
    );
    // The manifest was never read; the callback says the run failed, and nothing ran under the forged batch id.
    const history = await run.fetchHistory();
    expect(scheduledActivities(history)).toEqual(['verifyScheduleFiring', 'notifyCompletion']);
    const { scheduledFor } = (await run.describe()).memo as { scheduledFor: string };
    const forged = scheduledRun(forgedInput, new Date(scheduledFor));
    await expect(client.workflow.getHandle(forged.batchId).describe()).rejects.toThrow(/not found/i);
    expect(p.emulator.totalBilledMicros()).toBe(billed);
    const forIt = receiver.received
      .map((c) => JSON.parse(c.body) as CompletionSummary)
      .filter((s) => s.batchId === forged.batchId);
    expect(forIt).toEqual([expect.objectContaining({ status: 'failed', spendMicros: 0, schedule: scheduleId })]);
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history);
  }, 120_000);

  test('a hand-started run for a schedule that does not exist is refused before its manifest is read', async () => {
    const scheduleId = `${prefix}-none`;
    const run = await handStart({ scheduleId, manifestTemplate: 'briefs/today.jsonl', timezone: 'UTC', options });
    const failure = await workflowFailure(run);
    expect(failure).toMatchObject({ type: 'InvalidBatchInput', nonRetryable: true });
    expect(failure.message).toContain(
      `this run is not a firing of schedule ${scheduleId}: no schedule "${scheduleId}" exists (deleted, or never created)`
    );
    // Not found is an answer, not a hiccup: one attempt, no retry.
    const history = await run.fetchHistory();
    expect(scheduledActivities(history)).toEqual(['verifyScheduleFiring']);
    const attempts = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes);
    expect(attempts.map((e) => e.activityTaskStartedEventAttributes?.attempt)).toEqual([1]);
    const { batchId } = (await run.describe()).memo as { batchId: string };
    await expect(client.workflow.getHandle(batchId).describe()).rejects.toThrow(/not found/i);
  }, 120_000);
});
