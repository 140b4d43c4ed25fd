import { Worker } from '@temporalio/worker';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startBatch } from '../client/batch-client.js';
import { resolveBatchOptions } from '../shared/batch-options.js';
import { costQuery, progressQuery } from '../shared/batch-workflow.js';
import { microsToUsd } from '../shared/money.js';
import { spendUsdKey, stageKey } from '../shared/search-attributes.js';
import type { ResultsLine } from '../activities/outputs/index.js';
import type { batchWorkflow } from '../workflows/batch.js';
import { testBriefs } from './helpers/briefs.js';
import { eventually } from './helpers/eventually.js';
import { workflowFailure } from './helpers/rejection.js';
import { HISTORY_FIXTURES, startPipeline, workflowBundle, type Pipeline } from './helpers/pipeline.js';

const options = resolveBatchOptions({ size: { width: 448, height: 256 }, maxInFlight: 6 });

describe('batch quality gate end to end (real server, emulator, tiny CLIP)', () => {
  let p: Pipeline;
  beforeAll(async () => {
    // A little latency keeps the batch running long enough to be queried mid-run.
    p = await startPipeline({ emulator: { latencyScale: 0.2 } });
  });
  afterAll(() => p?.teardown());

  test('20 thumbnails: 80 drafts, 2 re-rolls, ledger = billing = spend attribute, idempotent start, replayable', async () => {
    const batchId = `e2e-${Date.now()}`;
    const input = {
      client: p.env.client,
      store: p.store,
      batchId,
      briefs: testBriefs(20, 'thumb'),
      options,
      taskQueue: p.taskQueue,
    };
    const first = await startBatch(input);
    expect(first.outcome).toBe('started');

    // `progress` answers while the batch runs.
    const midRun = await eventually('the progress query to answer', () => first.handle.query(progressQuery));
    expect(midRun.thumbnails).toBe(20);
    expect(midRun.stage).not.toBe('done');
    const liveCost = await first.handle.query(costQuery);
    expect(liveCost.batchId).toBe(batchId);

    // A scheduler firing twice attaches instead of starting (and paying for) a second run.
    const second = await startBatch(input);
    expect(second.outcome).toBe('attached');
    expect(second.handle.workflowId).toBe(batchId);

    const result = await first.handle.result();
    expect(result.succeeded).toBe(20);
    expect(result.failed).toEqual([]);
    expect(result.rerolls).toHaveLength(2);

    const billing = p.emulator.billing();
    expect(billing.filter((b) => b.model === 'flux-schnell')).toHaveLength(80);
    expect(billing.filter((b) => b.model === 'flux-1.1-pro')).toHaveLength(2);
    expect(result.cost.totals.costMicros).toBe(p.emulator.totalBilledMicros());
    expect(result.cost.totals.byPhase.draft.calls).toBe(80);
    expect(result.cost.totals.byPhase.reroll.calls).toBe(2);
    // The ledger reconciles with the provider's own balance, and every amount is the provider's figure.
    expect(result.cost.reconciled).toEqual({
      providerChargedMicros: p.emulator.totalBilledMicros(),
      ledgerMicros: p.emulator.totalBilledMicros(),
      driftMicros: 0,
    });
    expect(result.cost.totals.byBasis.provider.calls).toBe(82);

    // The re-rolled ones are the two lowest best-draft scores (ties by id), and each has a reason.
    const lines = (await readFile(join(result.outputDir!, 'results.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ResultsLine);
    expect(lines.map((l) => l.id)).toEqual(input.briefs.map((b) => b.id));
    const bestDraft = lines.map((l) => ({
      id: l.id,
      score: Math.max(...l.candidates.filter((c) => c.phase === 'draft').map((c) => c.score ?? -1)),
    }));
    bestDraft.sort((a, b) => a.score - b.score || a.id.localeCompare(b.id));
    expect(result.rerolls.map((r) => r.id).sort()).toEqual(
      bestDraft
        .slice(0, 2)
        .map((b) => b.id)
        .sort()
    );
    for (const r of result.rerolls) {
      expect(r.reason.length).toBeGreaterThan(0);
      const line = lines.find((l) => l.id === r.id)!;
      expect(line.winner?.phase).toBe(r.winner);
    }
    const ledgerCsv = await readFile(join(result.outputDir!, 'ledger.csv'), 'utf8');
    expect(ledgerCsv.trim().split('\n')).toHaveLength(1 + 82);

    const described = await first.handle.describe();
    expect(described.typedSearchAttributes.get(spendUsdKey)).toBeCloseTo(microsToUsd(result.cost.totals.costMicros), 9);
    expect(described.typedSearchAttributes.get(stageKey)).toBe('done');

    // One run of this batch id exists: the second start did not create another.
    const runs = [];
    for await (const wf of p.env.client.workflow.list({ query: `WorkflowId = '${batchId}'` })) runs.push(wf.runId);
    expect(runs).toHaveLength(1);

    // Determinism guard: every history of this batch replays against the current workflow code.
    const ids = [
      batchId,
      ...input.briefs.map((b) => `${batchId}/draft/${b.id}`),
      ...result.rerolls.map((r) => `${batchId}/reroll/${r.id}`),
    ];
    const histories = await Promise.all(
      ids.map(async (workflowId) => ({
        workflowId,
        history: await p.env.client.workflow.getHandle(workflowId).fetchHistory(),
      }))
    );
    const replays = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories))
      replays.push(r);
    expect(replays).toHaveLength(ids.length);
    expect(replays.filter((r) => r.error)).toEqual([]);
  });

  test('a prompt the provider rejects fails only its thumbnail; the rest of the batch completes', async () => {
    const list = testBriefs(10, 'policy');
    list[3] = { ...list[3]!, prompt: 'a gore-soaked horror scene, gore everywhere' };
    const started = await startBatch({
      client: p.env.client,
      store: p.store,
      batchId: `policy-${Date.now()}`,
      briefs: list,
      options,
      taskQueue: p.taskQueue,
    });
    const result = await started.handle.result();
    expect(result.succeeded).toBe(9);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]).toMatchObject({ id: 'policy-004', phase: 'draft' });
    expect(result.failed[0]!.reason).toMatch(/content policy/i);
    expect(result.rerolls).toHaveLength(1); // ceil(10% of the 9 that have a draft)
    expect(result.rerolls[0]!.id).not.toBe('policy-004');

    // RECORD_HISTORIES=1 refreshes the committed histories that test/replay.test.ts replays.
    if (process.env.RECORD_HISTORIES === '1') {
      const batchId = started.handle.workflowId;
      const ids = [
        batchId,
        `${batchId}/draft/policy-001`,
        `${batchId}/draft/policy-004`,
        `${batchId}/reroll/${result.rerolls[0]!.id}`,
      ];
      await mkdir(HISTORY_FIXTURES, { recursive: true });
      for (const [i, workflowId] of ids.entries()) {
        const history = await p.env.client.workflow.getHandle(workflowId).fetchHistory();
        const name = ['batch', 'draft-ok', 'draft-rejected', 'reroll'][i]!;
        await writeFile(join(HISTORY_FIXTURES, `${name}.json`), JSON.stringify(history, null, 1));
      }
    }
  });

  test('the workflow itself rejects invalid options non-retryably, naming the field', async () => {
    const manifest = await p.store.put(
      Buffer.from(JSON.stringify(testBriefs(1, 'bad')[0]) + '\n'),
      'application/x-ndjson'
    );
    const handle = await p.env.client.workflow.start<typeof batchWorkflow>('batchWorkflow', {
      taskQueue: p.taskQueue,
      workflowId: `invalid-${Date.now()}`,
      args: [{ batchId: 'invalid', manifest, thumbnails: 1, options: { ...options, rerollFraction: 2 } }],
    });
    const cause = await workflowFailure(handle);
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toMatch(/rerollFraction must be a number from 0 to 1/);
    expect(p.emulator.requests().filter((r) => r.prompt?.includes('bad'))).toEqual([]);
  });

  test('an empty balance stops the batch; after a top-up the same id restarts and reuses every paid draft', async () => {
    p.emulator.reset({ creditsMicros: 60_000 }); // about seven flux-schnell drafts
    const list = testBriefs(6, 'credits');
    const batchId = `credits-${Date.now()}`;
    const start = () =>
      startBatch({ client: p.env.client, store: p.store, batchId, briefs: list, options, taskQueue: p.taskQueue });
    const first = await start();
    const cause = await workflowFailure(first.handle);
    expect(cause.type).toBe('ProviderOutOfCredits');
    expect(cause.message).toMatch(/top up Segmind credits, then start the batch again/);
    const paidBefore = p.emulator.billing().map((b) => b.requestId);
    expect(paidBefore.length).toBeGreaterThan(0);
    expect(paidBefore.length).toBeLessThan(24);
    expect((await first.handle.describe()).typedSearchAttributes.get(stageKey)).toBe('failed');

    p.emulator.setCredits(100_000_000);
    const second = await start();
    expect(second.outcome).toBe('restarted');
    const result = await second.handle.result();
    expect(result.succeeded).toBe(6);
    // Every draft was paid for exactly once across both runs; the second run's ledger books them all.
    const billing = p.emulator.billing();
    expect(billing.filter((b) => b.model === 'flux-schnell')).toHaveLength(24);
    expect(billing.filter((b) => b.model === 'flux-1.1-pro')).toHaveLength(1);
    expect(billing.slice(0, paidBefore.length).map((b) => b.requestId)).toEqual(paidBefore);
    expect(result.cost.totals.costMicros).toBe(p.emulator.totalBilledMicros());
    expect((await start()).outcome).toBe('finished');
  });

  test('a missing scoring model stops the batch; every draft already paid for stays in the ledger', async () => {
    const broken = await startPipeline({ clipModelId: 'no-such-clip-model', emulator: { latencyScale: 0.2 } });
    try {
      const started = await startBatch({
        client: broken.env.client,
        store: broken.store,
        batchId: `nomodel-${Date.now()}`,
        briefs: testBriefs(12, 'nomodel'),
        options,
        taskQueue: broken.taskQueue,
      });
      const cause = await workflowFailure(started.handle);
      expect(cause.type).toBe('ScoringModelUnavailable');
      expect(cause.message).toMatch(/no-such-clip-model/);
      // It stopped early (maxInFlight thumbnails at most were drafted), and what was paid is booked.
      const billed = broken.emulator.billing();
      expect(billed.length).toBeGreaterThan(0);
      expect(billed.length).toBeLessThanOrEqual(options.maxInFlight * options.candidates);
      const cost = await started.handle.query(costQuery);
      expect(cost.totals.costMicros).toBe(broken.emulator.totalBilledMicros());
    } finally {
      await broken.teardown();
    }
  });
});
