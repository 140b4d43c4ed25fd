/**
 * The pipeline's Segmind client against the emulator: what the workflow will see for each
 * emulated behaviour. Guards the two sides against drifting apart.
 */
import { SegmindClient } from '../../activities/segmind/client.js';
import type { SegmindError } from '../../activities/segmind/errors.js';
import type { GenerationParams } from '../../shared/generation-request.js';
import { createEmulator, type Emulator } from '../../emulator/server.js';

const params = (seed: number): GenerationParams => ({
  model: 'flux-schnell',
  prompt: 'unboxing the tiniest laptop ever',
  seed,
  width: 448,
  height: 256,
  steps: 4,
});

describe('emulator ↔ SegmindClient contract', () => {
  let emulator: Emulator;
  let client: SegmindClient;
  beforeAll(async () => {
    emulator = await createEmulator();
    client = new SegmindClient({ apiKey: emulator.apiKey, baseUrl: emulator.url, headersTimeoutMs: 400 });
  });
  afterAll(() => emulator.close());
  beforeEach(() => emulator.reset());

  const failure = (p: Promise<unknown>): Promise<SegmindError> =>
    p.then(
      () => {
        throw new Error('expected a SegmindError');
      },
      (err: SegmindError) => err
    );

  test('a success is decoded and booked exactly as the emulator billed it', async () => {
    const image = await client.generate(params(1));
    expect([image.width, image.height]).toEqual([448, 256]);
    const [entry] = emulator.billing();
    expect(image.billed).toMatchObject({
      requestId: entry!.requestId,
      costMicros: entry!.costMicros,
      gpuSeconds: entry!.gpuSeconds,
      creditsRemainingMicros: entry!.creditsAfterMicros,
    });
  });

  test('each fault maps to the failure kind the workflow expects', async () => {
    emulator.faults.retryAfterSeconds = 3;
    emulator.faults.script({ kind: '429' }, { kind: '503' }, { kind: '401' }, { kind: '406' }, { kind: 'hang' });
    const rate = await failure(client.generate(params(1)));
    expect([rate.type, rate.retryAfterMs]).toEqual(['ProviderRateLimited', 3_000]);
    expect((await failure(client.generate(params(1)))).type).toBe('ProviderServerError');
    expect((await failure(client.generate(params(1)))).type).toBe('ProviderKeyRejected');
    expect((await failure(client.generate(params(1)))).type).toBe('ProviderOutOfCredits');
    expect((await failure(client.generate(params(1)))).type).toBe('ProviderTimeout');
    expect(emulator.billing()).toEqual([]);
  });

  test('a truncated image is a billed ProviderBadImage', async () => {
    emulator.faults.script({ kind: 'truncate' });
    const err = await failure(client.generate(params(2)));
    expect(err.type).toBe('ProviderBadImage');
    const [entry] = emulator.billing();
    expect(entry?.outcome).toBe('truncated');
    expect(err.billed).toMatchObject({ requestId: entry!.requestId, costMicros: entry!.costMicros });
  });

  test('content-policy rejections and empty balances are permanent', async () => {
    const policy = await failure(client.generate({ ...params(3), prompt: 'gore compilation' }));
    expect([policy.type, policy.retryable]).toEqual(['ProviderInvalidRequest', false]);
    emulator.setCredits(0);
    const broke = await failure(client.generate(params(3)));
    expect([broke.type, broke.retryable]).toEqual(['ProviderOutOfCredits', false]);
  });
});
