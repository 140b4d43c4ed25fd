import {
  PRICE_CARD,
  callCostMicros,
  expectedCostMicros,
  expectedGpuSeconds,
  type FluxModel,
} from '../../shared/price-card.js';
import { usdToMicros } from '../../shared/money.js';
import { GPU_TIME_JITTER } from '../../emulator/gpu-time.js';
import { createEmulator, type Emulator } from '../../emulator/server.js';
import { jsonError, post, schnell } from './helpers.js';

const START = 100_000_000;

describe('emulator: billing and credits', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await createEmulator({ creditsMicros: START });
  });
  afterAll(() => emulator.close());
  beforeEach(() => emulator.reset());

  test('x-cost, the billing log and the balance agree with the price card to the micro-dollar', async () => {
    const calls: Array<[FluxModel, Record<string, unknown>]> = [];
    for (let seed = 0; seed < 24; seed++) calls.push(['flux-schnell', schnell(seed, { steps: 1 + (seed % 8) })]);
    for (let seed = 0; seed < 4; seed++) {
      calls.push(['flux-dev', { prompt: 'desk tour', seed, width: 448, height: 256, steps: 10 + seed * 10 }]);
    }
    calls.push(['flux-1.1-pro', { prompt: 'desk tour', seed: 1, aspect_ratio: '16:9' }]);
    calls.push(['flux-pro', { prompt: 'desk tour', seed: 1, aspect_ratio: '16:9', steps: 10 }]);

    let headerSum = 0;
    let lastRemaining = START;
    for (const [model, body] of calls) {
      const reply = await post(emulator, model, body);
      expect(reply.status).toBe(200);
      const cost = usdToMicros(Number(reply.headers['x-cost']));
      const gpuSeconds = Number(reply.headers['x-generation-time']);
      // Exactly the price card's cost of the reported (millisecond-rounded) GPU time.
      expect(cost).toBe(callCostMicros(model, gpuSeconds));
      if (PRICE_CARD[model].pricing.mode === 'gpu-second') {
        const typical = expectedGpuSeconds(model, body.steps as number) as number;
        expect(Math.abs(gpuSeconds / typical - 1)).toBeLessThanOrEqual(GPU_TIME_JITTER + 0.001);
      }
      const remaining = usdToMicros(Number(reply.headers['x-remaining-credits']));
      expect(remaining).toBe(lastRemaining - cost);
      lastRemaining = remaining;
      headerSum += cost;
    }
    const log = emulator.billing();
    expect(log).toHaveLength(calls.length);
    expect(log.every((e) => e.outcome === 'ok' && e.api === 'v1')).toBe(true);
    expect(log.every((e) => e.acceptedAt === e.at && e.acceptedAt > 0)).toBe(true);
    expect(log.map((e) => e.costMicros).reduce((a, b) => a + b, 0)).toBe(headerSum);
    expect(emulator.totalBilledMicros()).toBe(headerSum);
    expect(emulator.credits()).toBe(START - headerSum);
    expect(log.at(-1)?.creditsAfterMicros).toBe(START - headerSum);
    const four = log.find((e) => e.model === 'flux-schnell' && e.steps === 4)!;
    expect(four.gpuSeconds).toBeGreaterThan(1.05);
    expect(four.gpuSeconds).toBeLessThan(1.15);
    expect(four).toMatchObject({ width: 448, height: 256, seed: 3 });
  });

  test('failed requests are not billed', async () => {
    await post(emulator, 'flux-schnell', schnell(1), { headers: { 'content-type': 'application/json' } });
    await post(emulator, 'flux-schnell', schnell(1, { width: 100 }));
    await post(emulator, 'flux-schnell', schnell(1, { prompt: 'nsfw' }));
    expect(emulator.billing()).toEqual([]);
    expect(emulator.credits()).toBe(START);
    expect(emulator.requests().map((r) => r.status)).toEqual([401, 400, 400]);
  });

  test('a balance below the expected cost is a 406 naming balance and price, not billed', async () => {
    emulator.setCredits(expectedCostMicros('flux-1.1-pro') - 1);
    const reply = await post(emulator, 'flux-1.1-pro', { prompt: 'hero shot', seed: 1 });
    expect(reply.status).toBe(406);
    expect(reply.text).toBe('Insufficient credits: balance $0.049999, this call needs $0.050000');

    // Schnell at 1 step is still affordable with what is left.
    const cheap = await post(emulator, 'flux-schnell', schnell(1, { steps: 1 }));
    expect(cheap.status).toBe(200);
    expect(emulator.billing()).toHaveLength(1);

    // Per-second models are checked at the requested step count.
    emulator.setCredits(expectedCostMicros('flux-dev', 50) - 1);
    const dev = await post(emulator, 'flux-dev', { prompt: 'x', seed: 1, width: 256, height: 256, steps: 50 });
    expect(dev.status).toBe(406);
    expect(dev.text).toMatch(/^Insufficient credits: balance \$0\.034415, this call needs \$0\.03\d{4}$/);
    expect(
      (await post(emulator, 'flux-dev', { prompt: 'x', seed: 1, width: 256, height: 256, steps: 40 })).status
    ).toBe(200);
    expect(emulator.billing()).toHaveLength(2);
    expect(emulator.credits()).toBeGreaterThanOrEqual(0);
  });

  test('credits and extra keys are configurable', async () => {
    const custom = await createEmulator({ creditsMicros: 20_000, apiKeys: ['key-a', 'key-b'] });
    try {
      const headers = { 'x-api-key': 'key-b', 'content-type': 'application/json' };
      expect((await post(custom, 'flux-schnell', schnell(1), { headers })).status).toBe(200);
      expect((await post(custom, 'flux-schnell', schnell(2), { headers })).status).toBe(200);
      const third = await post(custom, 'flux-schnell', schnell(3), { headers });
      expect(third.status).toBe(406);
      expect(third.text).toMatch(/Insufficient credits/);
      const wrong = await post(custom, 'flux-schnell', schnell(3), {
        headers: { 'x-api-key': 'emulator-local-key', 'content-type': 'application/json' },
      });
      expect(jsonError(wrong)).toMatch(/invalid/);
      expect(custom.credits()).toBe(20_000 - custom.totalBilledMicros());
    } finally {
      await custom.close();
    }
  });
});
