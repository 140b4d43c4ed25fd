/**
 * A batch whose --notify-url is a loopback port the workers' THUMBGATE_CALLBACK_HOSTS does not list:
 * nothing is sent, the batch's own outcome stands, and what it records (result, `thumbgate result`)
 * is the same whether the port is closed or answers 404. Real server, emulator, tiny CLIP.
 */
import { startBatch } from '../client/batch-client.js';
import { formatResult } from '../client/format-cost.js';
import { resolveBatchOptions } from '../shared/batch-options.js';
import { testBriefs } from './helpers/briefs.js';
import { startReceiver } from './helpers/callback-receiver.js';
import { startPipeline, type Pipeline } from './helpers/pipeline.js';

const options = resolveBatchOptions({ size: { width: 448, height: 256 }, maxInFlight: 1 });

describe('completion callbacks to addresses the workers do not allow', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline({ webhookSecret: 'notify-outbound-e2e-secret-32-chars-long', callbackHosts: [] });
  });
  afterAll(() => p?.teardown());

  const run = async (batchId: string, notifyUrl: string) => {
    const started = await startBatch({
      client: p.env.client,
      store: p.store,
      batchId,
      briefs: testBriefs(1, batchId),
      options,
      taskQueue: p.taskQueue,
      notifyUrl,
    });
    return started.handle.result();
  };

  test('a closed port and a port answering 404 are both "refused", in the same words', async () => {
    const answering = await startReceiver({ status: 404 });
    const closed = await startReceiver();
    await closed.close();
    try {
      const a = await run(`notify-refused-a-${Date.now()}`, answering.url);
      const b = await run(`notify-refused-b-${Date.now()}`, closed.url);
      expect([a.status, b.status]).toEqual(['done', 'done']);
      expect(answering.received).toEqual([]);
      expect(a.notification).toMatchObject({ url: answering.url, outcome: 'refused' });
      expect(b.notification).toMatchObject({ url: closed.url, outcome: 'refused' });
      expect(a.notification!.error).toBe(b.notification!.error);
      expect(a.notification!.error).toMatch(/^callback not delivered: the destination is not allowed or did not/);
      expect(a.notification!.error).not.toMatch(/loopback|127\.0\.0\.1/);
      expect(formatResult(a)).toContain(`completion callback refused to ${answering.url}: callback not delivered`);
    } finally {
      await answering.close();
    }
  });
});
