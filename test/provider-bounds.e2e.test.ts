/**
 * A decompression bomb from the provider, through the durable pipeline (real Temporal dev server,
 * emulator over HTTP): the candidate fails once, as a deterministic wrong size refused from the
 * image's header, is booked as paid-but-unusable, and the same request is not bought again.
 */
import type { ThumbnailWorkflowInput } from '../shared/thumbnail-workflow.js';
import type { thumbnailWorkflow } from '../workflows/thumbnail.js';
import { DEFAULT_RETRY_DELAYS } from '../shared/retry.js';
import { startPipeline, type Pipeline } from './helpers/pipeline.js';

const FAST_RETRY = { ...DEFAULT_RETRY_DELAYS, initialIntervalMs: 50, maxIntervalMs: 200 };

const input = (thumbnailId: string): ThumbnailWorkflowInput => ({
  batchId: 'it-bounds',
  manifestSha256: 'd'.repeat(64),
  thumbnailId,
  phase: 'draft',
  request: { model: 'flux-schnell', prompt: 'a tiny robot holding a giant magnifying glass', width: 448, height: 256 },
  candidates: 2,
});

describe.each(['v2', 'v1'] as const)('a huge-dimension image over Segmind %s', (transport) => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline({ retryDelays: FAST_RETRY, transport });
  });
  afterAll(() => p?.teardown());

  test('fails its candidate once, booked as unusable, never requested again', async () => {
    p.emulator.faults.script({ kind: 'huge-image' });
    const result = await p.env.client.workflow.execute<typeof thumbnailWorkflow>('thumbnailWorkflow', {
      taskQueue: p.taskQueue,
      workflowId: `it-bounds-${transport}-${Date.now()}`,
      args: [input(`bomb-${transport}`)],
    });
    expect(result.failures).toEqual([
      {
        candidateIndex: expect.any(Number),
        type: 'ProviderWrongSize',
        message: expect.stringMatching(/too large to decode: 20000×20000 .* refused from its header, undecoded/),
        attempts: 1,
      },
    ]);
    expect(result.candidates).toHaveLength(1);
    // Two jobs bought, one unusable: the refused image was paid for and is booked, once.
    expect(p.emulator.billing()).toHaveLength(2);
    expect(result.ledger.map((e) => e.outcome).sort()).toEqual(['image', 'unusable']);
    expect(result.totals.costMicros).toBe(p.emulator.totalBilledMicros());
  });
});
