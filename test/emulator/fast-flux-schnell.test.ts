/**
 * fast-flux-schnell on the emulator over real HTTP: it renders like schnell, bills per GPU-second at
 * its own rate ($0.0022/s: ≈$0.0055 for a 4-step image of ≈2.5 s), takes that long at latencyScale 1,
 * and drafts with schnell's defects.
 */
import sharp from 'sharp';
import { GPU_TIME_JITTER } from '../../emulator/gpu-time.js';
import { createEmulator, type Emulator } from '../../emulator/server.js';
import { usdToMicros } from '../../shared/money.js';
import { call, json, jsonError, post, schnell, submit, type Submitted } from './helpers.js';

const START = 100_000_000;
const RATE = 2_200; // µ$ per GPU-second

describe('emulator: fast-flux-schnell', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await createEmulator({ creditsMicros: START });
  });
  afterAll(() => emulator.close());
  beforeEach(() => emulator.reset());

  test('v1 renders the requested size and bills GPU-seconds at $0.0022, fewer steps costing less', async () => {
    const bySteps = new Map<number, { gpuSeconds: number; cost: number }>();
    let spent = 0;
    for (const steps of [1, 2, 4, 8]) {
      const reply = await post(emulator, 'fast-flux-schnell', schnell(7, { steps }));
      expect(reply.status).toBe(200);
      const meta = await sharp(reply.bytes, { failOn: 'truncated' }).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 448, 256]);
      const gpuSeconds = Number(reply.headers['x-generation-time']);
      const cost = usdToMicros(Number(reply.headers['x-cost']));
      expect(cost).toBe(Math.round(gpuSeconds * RATE));
      // The emulator's own table: 1.78 s + 0.18 s a step, within its seeded jitter.
      expect(Math.abs(gpuSeconds / (1.78 + 0.18 * steps) - 1)).toBeLessThanOrEqual(GPU_TIME_JITTER + 0.001);
      spent += cost;
      expect(usdToMicros(Number(reply.headers['x-remaining-credits']))).toBe(START - spent);
      bySteps.set(steps, { gpuSeconds, cost });
    }
    const four = bySteps.get(4)!;
    expect(Math.abs(four.cost - 5_500)).toBeLessThanOrEqual(5_500 * (GPU_TIME_JITTER + 0.001));
    expect(bySteps.get(1)!.cost).toBeLessThan(bySteps.get(2)!.cost);
    expect(bySteps.get(2)!.cost).toBeLessThan(four.cost);
    expect(four.cost).toBeLessThan(bySteps.get(8)!.cost);
    const log = emulator.billing();
    expect(log.map((e) => [e.model, e.steps, e.gpuSeconds, e.costMicros, e.outcome])).toEqual(
      [1, 2, 4, 8].map((s) => ['fast-flux-schnell', s, bySteps.get(s)!.gpuSeconds, bySteps.get(s)!.cost, 'ok'])
    );
    expect(emulator.credits()).toBe(START - spent);
  });

  test('steps outside 1–8 are refused naming the field, and not billed', async () => {
    const reply = await post(emulator, 'fast-flux-schnell', schnell(1, { steps: 9 }));
    expect(reply.status).toBe(400);
    expect(jsonError(reply)).toContain('steps must be an integer from 1 to 8, got 9');
    const guidance = await post(emulator, 'fast-flux-schnell', schnell(1, { guidance: 3 }));
    expect(jsonError(guidance)).toContain('guidance is not a parameter of fast-flux-schnell');
    expect(emulator.billing()).toEqual([]);
  });

  test('drafts on it have pixel defects, as on flux-schnell; pro images stay clean', async () => {
    const defects = async (model: string, body: (seed: number) => Record<string, unknown>): Promise<string[]> => {
      emulator.reset();
      for (let seed = 0; seed < 16; seed++) expect((await post(emulator, model, body(seed))).status).toBe(200);
      return emulator.requests().map((r) => r.defect ?? 'clean');
    };
    const fast = await defects('fast-flux-schnell', (seed) => schnell(seed));
    expect(fast.filter((d) => d !== 'clean').length).toBeGreaterThan(0);
    expect(fast.filter((d) => d === 'clean').length).toBeGreaterThan(0);
    const pro = await defects('flux-1.1-pro', (seed) => ({ prompt: 'a robot unboxing', seed, aspect_ratio: '16:9' }));
    expect(new Set(pro)).toEqual(new Set(['clean']));
  });
});

describe('emulator: fast-flux-schnell latency', () => {
  test('at latencyScale 1 a v2 job is PROCESSING for its ≈2.5 s of GPU time, on the emulator clock', async () => {
    let clock = 1_000_000;
    const emulator = await createEmulator({ latencyScale: 1, queueSeconds: 0, now: () => clock });
    try {
      const job = json<Submitted>(await submit(emulator, 'fast-flux-schnell', schnell(3)));
      const [entry] = emulator.billing();
      expect(Math.abs(entry!.gpuSeconds / 2.5 - 1)).toBeLessThanOrEqual(GPU_TIME_JITTER + 0.001);
      const status = async (): Promise<string> => json<{ status: string }>(await call(emulator, job.status_url)).status;
      clock += Math.floor(entry!.gpuSeconds * 1000) - 1;
      expect(await status()).toBe('PROCESSING');
      clock += 2;
      // Rendering runs on the real clock; the job is COMPLETED once it is done and its time has passed.
      let seen = await status();
      for (let i = 0; i < 500 && seen === 'PROCESSING'; i++) {
        await new Promise((r) => setTimeout(r, 10));
        seen = await status();
      }
      expect(seen).toBe('COMPLETED');
    } finally {
      await emulator.close();
    }
  });
});
