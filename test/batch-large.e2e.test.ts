import { startBatch } from '../client/batch-client.js';
import { resolveBatchOptions } from '../shared/batch-options.js';
import type { ThumbnailBrief } from '../shared/thumbnail-brief.js';
import { startPipeline, type Pipeline } from './helpers/pipeline.js';

/** The output writer is tested on its own (test/outputs); here it would only add minutes. */
const skipOutputs = { writeBatchOutputs: () => Promise.resolve({ outputDir: '', winners: 0 }) };

const THUMBNAILS = 1_000;
const PER_RUN = 250;

describe('a large batch stays within history limits', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline({ activityOverrides: skipOutputs });
  });
  afterAll(() => p?.teardown());

  test(`${THUMBNAILS} thumbnails complete across continue-as-new runs, each with a bounded history`, async () => {
    const briefs: ThumbnailBrief[] = Array.from({ length: THUMBNAILS }, (_, i) => ({
      id: `bulk-${String(i).padStart(4, '0')}`,
      prompt: `thumbnail ${i}: a bold subject on a bright background`,
      width: 256,
      height: 256,
    }));
    const batchId = `large-${Date.now()}`;
    // One draft per thumbnail keeps this at emulator speed; the workflow paths are the same.
    const options = resolveBatchOptions({ candidates: 1, maxInFlight: 40, size: { width: 256, height: 256 } });
    const started = await startBatch({
      client: p.env.client,
      store: p.store,
      batchId,
      briefs,
      options,
      taskQueue: p.taskQueue,
      thumbnailsPerRun: PER_RUN,
    });
    const result = await started.handle.result();
    expect(result.succeeded).toBe(THUMBNAILS);
    expect(result.rerolls).toHaveLength(100);
    expect(result.rerolled).toBe(100);
    expect(result.cost.totals.costMicros).toBe(p.emulator.totalBilledMicros());
    expect(result.cost.totals.calls).toBe(THUMBNAILS + 100);

    // Four runs of 250 (the re-rolls fit in the last one), each far below Temporal's history limits.
    expect(result.runs).toBe(THUMBNAILS / PER_RUN);
    const runs: string[] = [];
    for await (const wf of p.env.client.workflow.list({ query: `WorkflowId = '${batchId}'` })) runs.push(wf.runId);
    expect(runs).toHaveLength(result.runs);
    for (const runId of runs) {
      const history = await p.env.client.workflow.getHandle(batchId, runId).fetchHistory();
      const events = history.events?.length ?? 0;
      expect(events).toBeGreaterThan(0);
      expect(events).toBeLessThan(PER_RUN * 12);
    }
    // 1,100 provider jobs, each submitted and collected as its own activities: minutes on two cores.
  }, 400_000);
});
