/**
 * Budgets and completion callbacks on the real pipeline: a batch stops before a provider call would
 * pass its limit and delivers what it drafted; the limit moves live through the `setBudget` update
 * (and `thumbgate budget`); per-channel limits skip a channel's briefs; the scheduler hears about the
 * end through a signed callback, even from a receiver that is down for a while.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { startBatch } from '../client/batch-client.js';
import type { ResultsLine } from '../activities/outputs/index.js';
import { resolveBatchOptions } from '../shared/batch-options.js';
import { progressQuery, setBudgetUpdate } from '../shared/batch-workflow.js';
import type { CompletionSummary } from '../shared/notification.js';
import { expectedCostMicros } from '../shared/price-card.js';
import type { ThumbnailBrief } from '../shared/thumbnail-brief.js';
import { testBriefs } from './helpers/briefs.js';
import { replay, startReceiver } from './helpers/callback-receiver.js';
import { thumbgate } from './helpers/cli-process.js';
import { startPipeline, type Pipeline } from './helpers/pipeline.js';

const SECRET = 'test-webhook-secret-of-at-least-32-chars';
const options = resolveBatchOptions({ size: { width: 448, height: 256 }, maxInFlight: 2 });
/** What one 4-draft thumbnail reserves: five calls (one spare for a retry) at the price card. */
const RESERVED = 5 * expectedCostMicros('flux-schnell', 4);

const briefs = (n: number, prefix: string, channel?: (i: number) => string): ThumbnailBrief[] =>
  testBriefs(n, prefix, channel ? { metadata: (i) => ({ channel: channel(i) }) } : {});

async function resultsLines(outputDir: string): Promise<ResultsLine[]> {
  const text = await readFile(join(outputDir, 'results.jsonl'), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ResultsLine);
}

describe('budgets and completion callbacks (real server, emulator, tiny CLIP)', () => {
  let p: Pipeline;
  beforeAll(async () => {
    // A slow schnell keeps the first thumbnails under way while the tests move the limit.
    p = await startPipeline({
      webhookSecret: SECRET,
      emulator: { latencyScale: 1, latencySeconds: { 'flux-schnell': 2, 'flux-1.1-pro': 1 }, queueSeconds: 0 },
    });
  });
  afterAll(() => p?.teardown());

  test('a batch stops before its limit, delivers what it drafted, and a signed callback says so', async () => {
    const receiver = await startReceiver({ dropFirst: 2 });
    try {
      const maxMicros = 100_000; // two thumbnails' reservations fit, a third does not
      const batchId = `budget-stop-${Date.now()}`;
      const started = await startBatch({
        client: p.env.client,
        store: p.store,
        batchId,
        briefs: briefs(6, 'b'),
        options,
        taskQueue: p.taskQueue,
        budget: { maxMicros },
        notifyUrl: receiver.url,
      });
      const result = await started.handle.result();
      expect(result.status).toBe('budget-stopped');
      expect(result.budgetStop).toMatch(/^the batch limit of \$0\.10 is reached: \$0\.0\d+ spent/);
      expect(result.succeeded).toBeGreaterThanOrEqual(1);
      expect(result.succeeded).toBeLessThan(6);
      // Never over the limit, and nothing paid that the ledger does not know.
      expect(result.cost.totals.costMicros).toBeLessThanOrEqual(maxMicros);
      expect(p.emulator.totalBilledMicros()).toBe(result.cost.totals.costMicros);
      expect(result.rerolled).toBe(0);

      const lines = await resultsLines(result.outputDir!);
      const notStarted = lines.filter((l) => l.status === 'failed');
      expect(notStarted).toHaveLength(6 - result.succeeded);
      for (const l of notStarted) expect(l.reason).toMatch(/^not started: the batch limit of \$0\.10 is reached/);

      // The receiver was down for two connections; the callback got through on a later attempt.
      expect(receiver.dropped).toBe(2);
      expect(receiver.received).toHaveLength(1);
      const [callback] = receiver.received;
      // The verification a receiver does (docs/operations.md shows the same steps in plain Node).
      expect(receiver.verifies(callback!, SECRET)).toBe(true);
      // A receiver refuses a body that was changed on the way, or signed with another secret.
      expect(receiver.verifies({ ...callback!, body: callback!.body.replace('budget-stopped', 'done') }, SECRET)).toBe(
        false
      );
      expect(receiver.verifies(callback!, 'another-secret-of-at-least-32-characters')).toBe(false);
      // The same callback replayed to another receiver (one secret for every host here) is refused there:
      // the signature covers the URL it was sent to.
      const other = await startReceiver();
      try {
        await replay(callback!, other.url);
        expect(other.received).toHaveLength(1);
        expect(other.verifies(other.received[0]!, SECRET)).toBe(false);
      } finally {
        await other.close();
      }
      const summary = JSON.parse(callback!.body) as CompletionSummary;
      expect(summary).toMatchObject({
        event: 'thumbgate.batch.finished',
        batchId,
        status: 'budget-stopped',
        thumbnails: 6,
        succeeded: result.succeeded,
        spendMicros: result.cost.totals.costMicros,
        outputDir: result.outputDir,
      });
      expect(result.notification).toEqual({ url: receiver.url, outcome: 'delivered' });
    } finally {
      await receiver.close();
    }
  });

  test('the limit moves live: below what is committed is refused, a raise lets the batch finish', async () => {
    const batchId = `budget-live-${Date.now()}`;
    const started = await startBatch({
      client: p.env.client,
      store: p.store,
      batchId,
      briefs: briefs(3, 'l'),
      options,
      taskQueue: p.taskQueue,
      budget: { maxMicros: RESERVED + 1_000 }, // the first thumbnail only
    });
    // Once the first thumbnail holds its reservation, a limit below it is refused.
    while ((await started.handle.query(progressQuery)).inFlight === 0) await new Promise((r) => setTimeout(r, 100));
    const lowered = started.handle.executeUpdate(setBudgetUpdate, { args: [{ maxMicros: 1_000 }] });
    await expect(lowered).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    await expect(lowered).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/below what is already committed/) },
    });

    // A raise answers with the headroom: the limit less what is spent and what is under way.
    // Micro-dollars on the wire, both ways: whole numbers that add up exactly.
    const answer = await started.handle.executeUpdate(setBudgetUpdate, { args: [{ maxMicros: 1_000_000 }] });
    expect(answer.maxMicros).toBe(1_000_000);
    expect(answer.inFlightMicros).toBeGreaterThan(0);
    expect(answer.headroomMicros).toBe(1_000_000 - answer.spentMicros - answer.inFlightMicros);

    // The same through the CLI, while the batch (two more thumbnails) still runs.
    const env = {
      TEMPORAL_ADDRESS: process.env.TEMPORAL_TEST_ADDRESS,
      THUMBGATE_TASK_QUEUE: p.taskQueue,
      THUMBGATE_STORE_DIR: p.store.root,
    };
    const raised = await thumbgate(['budget', batchId, '--max-usd', '5', '--json'], env);
    expect(raised.code).toBe(0);
    expect(JSON.parse(raised.stdout)).toMatchObject({ batchId, maxMicros: 5_000_000 });

    const result = await started.handle.result();
    expect(result).toMatchObject({ status: 'done', succeeded: 3 });
    const refused = await thumbgate(['budget', batchId, '--max-usd', '6'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/a limit applies only while it runs/);
    const bad = await thumbgate(['budget', batchId, '--max-usd=-3'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--max-usd must be an amount of US dollars above 0/);
  });

  test('a channel over its limit is skipped while the others finish; a refused callback leaves the batch done', async () => {
    const receiver = await startReceiver({ status: 401 });
    try {
      const batchId = `budget-channel-${Date.now()}`;
      const started = await startBatch({
        client: p.env.client,
        store: p.store,
        batchId,
        briefs: briefs(5, 'c', (i) => (i < 3 ? 'cooking' : 'travel')),
        options: { ...options, maxInFlight: 1 },
        taskQueue: p.taskQueue,
        // Room for one cooking thumbnail; travel is bound by the batch limit only.
        budget: { key: 'channel', perKey: { cooking: RESERVED + 1_000 } },
        notifyUrl: receiver.url,
      });
      const result = await started.handle.result();
      expect(result.status).toBe('done');
      expect(result.succeeded).toBe(3);
      expect(result.failed.map((f) => [f.id, f.type])).toEqual([
        ['c-002', 'BudgetExhausted'],
        ['c-003', 'BudgetExhausted'],
      ]);
      expect(result.failed[0]!.reason).toMatch(/^not started: the channel "cooking" limit of \$0\.04 is reached/);
      // A re-roll (the bottom tenth) of a cooking thumbnail would pass the limit too: the draft stands.
      const cookingRerolls = result.rerolls.filter((d) => d.id === 'c-001');
      for (const d of cookingRerolls)
        expect(d).toMatchObject({
          winner: 'draft',
          reason: expect.stringMatching(/^re-roll not started: the channel "cooking" limit/),
        });
      // The receiver refused it (401): not retried, recorded, and the batch's own outcome stands.
      expect(receiver.received).toHaveLength(1);
      // Recorded as "failed", in the words of any receiver that did not take it (no status: that is in the worker log).
      expect(result.notification).toMatchObject({ outcome: 'failed' });
      expect(result.notification!.error).toMatch(/^callback not delivered: the destination is not allowed or did not/);
      expect(result.notification!.error).not.toMatch(/HTTP \d/);
    } finally {
      await receiver.close();
    }
  });
  test('a cancelled batch books what it paid for and posts `cancelled`', async () => {
    const receiver = await startReceiver();
    try {
      const started = await startBatch({
        client: p.env.client,
        store: p.store,
        batchId: `notify-cancelled-${Date.now()}`,
        briefs: briefs(4, 'x'),
        options,
        taskQueue: p.taskQueue,
        notifyUrl: receiver.url,
      });
      while ((await started.handle.query(progressQuery)).inFlight === 0) await new Promise((r) => setTimeout(r, 100));
      await started.handle.cancel();
      await expect(started.handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
      expect(receiver.received).toHaveLength(1);
      const summary = JSON.parse(receiver.received[0]!.body) as CompletionSummary;
      expect(summary).toMatchObject({ status: 'cancelled', thumbnails: 4 });
      expect(receiver.verifies(receiver.received[0]!, SECRET)).toBe(true);
    } finally {
      await receiver.close();
    }
  });
});

describe('completion callbacks of batches that fail or are cancelled', () => {
  let p: Pipeline;
  beforeAll(async () => {
    // A key the provider refuses: every batch stops at once (ProviderKeyRejected stops the batch).
    p = await startPipeline({ webhookSecret: SECRET, apiKey: 'not-the-right-key' });
  });
  afterAll(() => p?.teardown());

  test('a failed batch posts `failed` with the root cause, and its failure carries the delivery', async () => {
    const receiver = await startReceiver();
    try {
      const started = await startBatch({
        client: p.env.client,
        store: p.store,
        batchId: `notify-failed-${Date.now()}`,
        briefs: briefs(2, 'f'),
        options,
        taskQueue: p.taskQueue,
        notifyUrl: receiver.url,
      });
      const failure = await started.handle.result().then(
        () => undefined,
        (err: unknown) => err as WorkflowFailedError
      );
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      const cause = failure!.cause as ApplicationFailure;
      expect(cause.type).toBe('ProviderKeyRejected');
      expect(cause.details).toContainEqual({ notification: { url: receiver.url, outcome: 'delivered' } });
      expect(receiver.received).toHaveLength(1);
      const summary = JSON.parse(receiver.received[0]!.body) as CompletionSummary;
      expect(summary).toMatchObject({ status: 'failed', succeeded: 0, spendMicros: 0 });
      expect(summary.reason).toMatch(/SEGMIND_API_KEY/);
      expect(summary).not.toHaveProperty('outputDir');
    } finally {
      await receiver.close();
    }
  });
});
