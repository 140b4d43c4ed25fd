import { startBatch } from '../client/batch-client.js';
import { CliError, EXIT } from '../client/exit-codes.js';
import { resolveBatchOptions } from '../shared/batch-options.js';
import type { ThumbnailBrief } from '../shared/thumbnail-brief.js';
import { startPipeline, type Pipeline } from './helpers/pipeline.js';

/** The output writer is tested on its own (test/outputs); here it would only add minutes. */
const skipOutputs = { writeBatchOutputs: () => Promise.resolve({ outputDir: '', winners: 0 }) };

/** The memo that ties a batch id to its manifest and options survives continue-as-new. */
describe('batch identity', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline({ activityOverrides: skipOutputs });
  });
  afterAll(() => p?.teardown());

  const briefs = (n: number, prefix: string): ThumbnailBrief[] =>
    Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, prompt: `${prefix} ${i}`, width: 256, height: 256 }));

  test('a batch that continued as new still refuses another manifest under its id', async () => {
    const batchId = `identity-${Date.now()}`;
    const options = resolveBatchOptions({ candidates: 1, rerollFraction: 0, size: { width: 256, height: 256 } });
    const base = { client: p.env.client, store: p.store, batchId, options, taskQueue: p.taskQueue };
    const first = await startBatch({ ...base, briefs: briefs(3, 'same'), thumbnailsPerRun: 1 });
    const result = await first.handle.result();
    expect(result.runs).toBeGreaterThan(1);
    const memo = (await first.handle.describe()).memo;
    expect(memo).toMatchObject({ manifestSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const again = await startBatch({ ...base, briefs: briefs(3, 'same') });
    expect(again.outcome).toBe('finished');
    const billed = p.emulator.totalBilledMicros();
    const clash = startBatch({ ...base, briefs: briefs(3, 'other') });
    await expect(clash).rejects.toBeInstanceOf(CliError);
    await expect(clash).rejects.toMatchObject({ exitCode: EXIT.invalidInput });
    const otherOptions = startBatch({ ...base, briefs: briefs(3, 'same'), options: { ...options, candidates: 2 } });
    await expect(otherOptions).rejects.toThrow(/already names a batch started from another manifest/);
    expect(p.emulator.totalBilledMicros()).toBe(billed);
  });
});
