/**
 * Edge faults on a real server: a cancelled batch keeps every ledger, a reused batch id never
 * inherits another manifest's records, and a thumbnail workflow refuses input nobody validated.
 */
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createBatchRecordActivities } from '../activities/batch-records.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBatch, waitForBatch } from '../client/batch-client.js';
import { CliError } from '../client/exit-codes.js';
import { LocalBlobStore } from '../node/blob-store.js';
import { resolveBatchOptions } from '../shared/batch-options.js';
import { costQuery } from '../shared/batch-workflow.js';
import { stageKey } from '../shared/search-attributes.js';
import type { ThumbnailBrief } from '../shared/thumbnail-brief.js';
import type { thumbnailWorkflow } from '../workflows/thumbnail.js';
import { eventually } from './helpers/eventually.js';
import { rejection, workflowFailure } from './helpers/rejection.js';
import { startPipeline, type Pipeline } from './helpers/pipeline.js';

const options = resolveBatchOptions({ size: { width: 448, height: 256 }, maxInFlight: 4, rerollFraction: 0.25 });

function briefs(n: number, prefix: string, subject = 'a bold subject on a bright background'): ThumbnailBrief[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${i + 1}`,
    prompt: `${subject}, thumbnail ${i + 1}`,
    width: 448,
    height: 256,
  }));
}

describe('a store outage longer than a few retries', () => {
  let p: Pipeline;
  let real: ReturnType<typeof createBatchRecordActivities> | undefined;
  let outageUntil = 0;
  let refused = 0;
  let brokenId: string | undefined;
  beforeAll(async () => {
    p = await startPipeline({
      activityOverrides: {
        // The store is down for a while: every save fails until then, as a flaky volume would.
        saveThumbnailResult: (result) => {
          if (result.thumbnailId === brokenId) {
            return Promise.reject(ApplicationFailure.nonRetryable('EACCES: store is read-only', 'StoreReadOnly'));
          }
          if (Date.now() < outageUntil) {
            refused += 1;
            return Promise.reject(new Error('EIO: store volume unavailable'));
          }
          return real!.saveThumbnailResult(result);
        },
      },
    });
    real = createBatchRecordActivities({ store: p.store });
  });
  afterAll(() => p?.teardown());
  beforeEach(() => p.emulator.reset());

  test('a result that cannot be stored is never counted as delivered; the batch stops with the fix', async () => {
    outageUntil = 0;
    const broken = 'broken-2';
    brokenId = broken;
    const started = await startBatch({
      client: p.env.client,
      store: p.store,
      batchId: `unsaved-${Date.now()}`,
      briefs: briefs(3, 'broken'),
      options: resolveBatchOptions({
        size: { width: 448, height: 256 },
        candidates: 1,
        rerollFraction: 0,
        maxInFlight: 1,
      }),
      taskQueue: p.taskQueue,
    });
    const cause = await workflowFailure(started.handle);
    expect(cause).toMatchObject({ type: 'ResultNotStored' });
    expect(cause.message).toMatch(/broken-2: the draft result could not be stored.*THUMBGATE_STORE_DIR/);
    const cost = await started.handle.query(costQuery);
    // The paid call of the unsaved thumbnail is still booked; it is not a usable thumbnail.
    expect(cost.totals.costMicros).toBe(p.emulator.totalBilledMicros());
    expect(cost.usableThumbnails).toBe(1);
    brokenId = undefined;
  });

  test('a 16 s store outage does not fail the batch or lose a thumbnail', async () => {
    outageUntil = Date.now() + 16_000;
    const started = await startBatch({
      client: p.env.client,
      store: p.store,
      batchId: `outage-${Date.now()}`,
      briefs: briefs(2, 'outage'),
      options: resolveBatchOptions({ size: { width: 448, height: 256 }, candidates: 1, rerollFraction: 0 }),
      taskQueue: p.taskQueue,
    });
    const result = await started.handle.result();
    expect(refused).toBeGreaterThan(2);
    expect(result.succeeded).toBe(2);
    expect(result.failed).toEqual([]);
    expect(result.cost.totals.costMicros).toBe(p.emulator.totalBilledMicros());
  });
});

describe('edge faults (real server, emulator, tiny CLIP)', () => {
  let p: Pipeline;
  beforeAll(async () => {
    // Renders take a while, so a cancel finds thumbnails in flight.
    p = await startPipeline({ emulator: { latencyScale: 1 } });
  });
  afterAll(() => p?.teardown());
  beforeEach(() => p.emulator.reset());

  test('a cancelled batch books every paid call of its in-flight thumbnails and ends as cancelled', async () => {
    const started = await startBatch({
      client: p.env.client,
      store: p.store,
      batchId: `cancel-${Date.now()}`,
      briefs: briefs(8, 'cancel'),
      options,
      taskQueue: p.taskQueue,
    });
    // Wait until thumbnails are in flight and the provider has accepted (and charged) jobs.
    await eventually('six calls charged by the provider', () => p.emulator.billing().length >= 6);
    await started.handle.cancel();
    await rejection(started.handle.result(), WorkflowFailedError);

    const cost = await started.handle.query(costQuery);
    const billed = p.emulator.billing();
    // Every call the provider charged is in the ledger (jobs cancelled before their result came are
    // booked at the price card, so the amount is compared loosely; the count exactly).
    expect(cost.totals.calls).toBe(billed.length);
    expect(cost.totals.costMicros).toBeGreaterThan(0.9 * p.emulator.totalBilledMicros());
    expect(cost.totals.costMicros).toBeLessThan(1.1 * p.emulator.totalBilledMicros());
    const described = await started.handle.describe();
    expect(described.status.name).toBe('CANCELLED');
    expect(described.typedSearchAttributes.get(stageKey)).toBe('cancelled');
  });

  test('a batch id reused for another manifest after the first batch is gone inherits nothing', async () => {
    const batchId = `reuse-${Date.now()}`;
    const base = { client: p.env.client, store: p.store, batchId, options, taskQueue: p.taskQueue };
    const first = await startBatch({ ...base, briefs: briefs(4, 'same', 'a red rocket') });
    const firstResult = await first.handle.result();
    expect(firstResult.succeeded).toBe(4);

    // Retention (or an operator) deletes the first batch; its records stay in the store.
    await p.env.client.workflowService.deleteWorkflowExecution({
      namespace: p.env.client.options.namespace,
      workflowExecution: { workflowId: batchId },
    });
    await eventually('the deleted batch to be gone', () =>
      first.handle.describe().then(
        () => false,
        (err: unknown) => err instanceof WorkflowNotFoundError
      )
    );

    const billedBefore = p.emulator.totalBilledMicros();
    const second = await startBatch({ ...base, briefs: briefs(4, 'same', 'a blue submarine') });
    expect(second.outcome).toBe('started');
    const result = await second.handle.result();
    // Same thumbnail ids, another manifest: the ledger is this batch's spend only, nothing inherited.
    expect(result.cost.totals.costMicros).toBe(p.emulator.totalBilledMicros() - billedBefore);
    expect(result.cost.totals.calls).toBe(4 * 4 + 1);
  });

  test('a CLI and a worker with different stores: the batch stops at once and the CLI names the cause and the fix', async () => {
    const root = await mkdtemp(join(tmpdir(), 'thumbgate-other-store-'));
    try {
      const started = await startBatch({
        client: p.env.client,
        store: new LocalBlobStore(root), // the CLI's store is not the worker's
        batchId: `stores-${Date.now()}`,
        briefs: briefs(2, 'stores'),
        options,
        taskQueue: p.taskQueue,
      });
      const err = await rejection(waitForBatch(started.handle, null, 200), CliError);
      expect(err.message).toMatch(/is not in the store.*same THUMBGATE_STORE_DIR/s);
      expect(err.message).not.toMatch(/Activity task failed/);
      expect(p.emulator.billing()).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  test('a thumbnail workflow refuses input nobody validated, before paying for anything', async () => {
    const handle = await p.env.client.workflow.start<typeof thumbnailWorkflow>('thumbnailWorkflow', {
      taskQueue: p.taskQueue,
      workflowId: `greedy-${Date.now()}`,
      args: [
        {
          batchId: 'greedy',
          manifestSha256: 'd'.repeat(64),
          thumbnailId: 't1',
          phase: 'draft',
          request: { model: 'flux-1.1-pro-ultra', prompt: 'everything', aspectRatio: '16:9' },
          candidates: 10_000,
        },
      ],
    });
    const cause = await workflowFailure(handle);
    expect(cause).toMatchObject({ type: 'InvalidThumbnailInput', nonRetryable: true });
    expect(cause.message).toMatch(/candidates must be an integer from 1 to 8/);
    expect(p.emulator.billing()).toEqual([]);
  });
});
