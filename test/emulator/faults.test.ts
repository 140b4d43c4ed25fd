import { request } from 'undici';
import { usdToMicros } from '../../shared/money.js';
import type { FaultKind, RandomFaults } from '../../emulator/faults.js';
import { createEmulator, type Emulator } from '../../emulator/server.js';
import { jsonError, post, schnell } from './helpers.js';

describe('emulator: fault injection', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await createEmulator();
  });
  afterAll(() => emulator.close());
  beforeEach(() => emulator.reset());

  test.each([
    ['500', 500, /Internal Server Error/],
    ['503', 503, /temporarily unavailable/],
    ['401', 401, /invalid or may have expired/],
  ] as const)('scripted %s answers %i once, unbilled, then the request succeeds', async (kind, status, message) => {
    emulator.faults.script({ kind });
    const faulted = await post(emulator, 'flux-schnell', schnell(1));
    expect(faulted.status).toBe(status);
    expect(jsonError(faulted)).toMatch(message);
    expect((await post(emulator, 'flux-schnell', schnell(1))).status).toBe(200);
    expect(emulator.billing()).toHaveLength(1);
    expect(emulator.requests()[0]).toMatchObject({ outcome: 'fault', fault: kind, status, costMicros: 0 });
  });

  test('scripted 406 reads as an empty balance (plain text)', async () => {
    emulator.faults.script({ kind: '406' });
    const reply = await post(emulator, 'flux-schnell', schnell(1));
    expect(reply.status).toBe(406);
    expect(reply.text).toMatch(/^Insufficient credits/);
    expect(emulator.billing()).toEqual([]);
  });

  test('429 carries Retry-After (configurable) and x-rate-limit-reset-at-utc', async () => {
    emulator.faults.retryAfterSeconds = 7;
    emulator.faults.script({ kind: '429' }, { kind: '429', retryAfterSeconds: 2 });
    const first = await post(emulator, 'flux-schnell', schnell(1));
    expect(first.status).toBe(429);
    expect(first.headers['retry-after']).toBe('7');
    const resetAt = Date.parse(first.headers['x-rate-limit-reset-at-utc']!);
    expect(resetAt - Date.now()).toBeGreaterThan(4_000);
    expect(resetAt - Date.now()).toBeLessThanOrEqual(7_000);
    const second = await post(emulator, 'flux-schnell', schnell(1));
    expect(second.headers['retry-after']).toBe('2');
    expect(emulator.billing()).toEqual([]);
  });

  test('hang: never answers; a client timeout gives up and nothing is billed', async () => {
    emulator.faults.script({ kind: 'hang' });
    await expect(post(emulator, 'flux-schnell', schnell(1), { headersTimeout: 300 })).rejects.toMatchObject({
      code: 'UND_ERR_HEADERS_TIMEOUT',
    });
    expect(emulator.billing()).toEqual([]);
    expect(emulator.requests()[0]).toMatchObject({ outcome: 'hang', status: null, costMicros: 0 });
    expect((await post(emulator, 'flux-schnell', schnell(1))).status).toBe(200);
  });

  test('truncate: a 200 with full headers and half the body, billed as truncated', async () => {
    emulator.faults.script({ kind: 'truncate' });
    const res = await request(`${emulator.url}/v1/flux-schnell`, {
      method: 'POST',
      headers: { 'x-api-key': emulator.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify(schnell(9)),
    });
    expect(res.statusCode).toBe(200);
    const cost = usdToMicros(Number(res.headers['x-cost']));
    expect(cost).toBeGreaterThan(0);
    expect(res.headers['x-remaining-credits']).toBeDefined();
    expect(res.headers['x-generation-time']).toBeDefined();
    expect(Number(res.headers['content-length'])).toBeGreaterThan(0);
    await expect(res.body.arrayBuffer()).rejects.toThrow();

    const [entry] = emulator.billing();
    expect(entry).toMatchObject({ outcome: 'truncated', costMicros: cost, seed: 9 });
    // The full image the truncated call promised.
    const full = await post(emulator, 'flux-schnell', schnell(9));
    expect(Number(res.headers['content-length'])).toBe(full.bytes.length);
    expect(emulator.totalBilledMicros()).toBe(2 * cost);
  });

  test('scripted faults filter by model and prompt, repeat with times, and are consumed in order', async () => {
    emulator.faults.configure({
      script: [
        { kind: '500', model: 'flux-1.1-pro' },
        { kind: '503', promptIncludes: 'unlucky', times: 2 },
        { kind: '429' },
      ],
    });
    const statuses: number[] = [];
    for (const [model, body] of [
      ['flux-schnell', schnell(1, { prompt: 'unlucky cat' })],
      ['flux-schnell', schnell(2)],
      ['flux-1.1-pro', { prompt: 'unlucky dog', seed: 3 }],
      ['flux-schnell', schnell(4, { prompt: 'unlucky cat' })],
      ['flux-schnell', schnell(5, { prompt: 'unlucky cat' })],
      ['flux-1.1-pro', { prompt: 'hero', seed: 3 }],
    ] as const) {
      statuses.push((await post(emulator, model, body)).status);
    }
    expect(statuses).toEqual([503, 429, 500, 503, 200, 200]);
    expect(emulator.faults.pending()).toEqual([]);
  });

  test('faults do not pre-empt bad requests: a 400 keeps the scripted fault for the next valid call', async () => {
    emulator.faults.script({ kind: '500' });
    expect((await post(emulator, 'flux-schnell', schnell(1, { width: 3 }))).status).toBe(400);
    expect(emulator.faults.pending()).toHaveLength(1);
    expect((await post(emulator, 'flux-schnell', schnell(1))).status).toBe(500);
  });

  describe('random faults', () => {
    const bodies = Array.from({ length: 60 }, (_, i) => schnell(i, { width: 256, height: 256 }));
    const random = (seed: number): RandomFaults => ({ seed, rates: { '500': 0.15, '503': 0.1, '429': 0.15 } });

    async function run(order: number[]): Promise<Map<number, number>> {
      const statuses = new Map<number, number>();
      for (const i of order) statuses.set(i, (await post(emulator, 'flux-schnell', bodies[i]!)).status);
      return statuses;
    }

    test('are reproducible for a seed, independent of request order, and differ across seeds', async () => {
      const forward = bodies.map((_, i) => i);
      emulator.faults.setRandom(random(11));
      const a = await run(forward);
      emulator.reset();
      emulator.faults.setRandom(random(11));
      const b = await run([...forward].reverse());
      emulator.reset();
      emulator.faults.setRandom(random(12));
      const c = await run(forward);

      const sorted = (m: Map<number, number>) => forward.map((i) => m.get(i));
      expect(sorted(b)).toEqual(sorted(a));
      expect(sorted(c)).not.toEqual(sorted(a));
      const faulted = sorted(a).filter((s) => s !== 200).length;
      expect(faulted).toBeGreaterThan(5); // 40 % expected of 60
      expect(faulted).toBeLessThan(45);
      expect(new Set(sorted(a))).toEqual(new Set([200, 500, 503, 429]));
      // Only the successes were billed.
      expect(emulator.billing()).toHaveLength(sorted(c).filter((s) => s === 200).length);
    });

    test('a retry of a faulted request gets a fresh draw', async () => {
      emulator.faults.setRandom({ seed: 3, rates: { '500': 0.5 } });
      const attempts: number[] = [];
      for (let i = 0; i < 12; i++) attempts.push((await post(emulator, 'flux-schnell', bodies[0]!)).status);
      expect(new Set(attempts)).toEqual(new Set([200, 500]));
    });

    test('reset restores the faults the emulator was started with', async () => {
      const started = await createEmulator({ faults: { random: random(5), retryAfterSeconds: 9 } });
      try {
        started.faults.configure({ random: null, script: [{ kind: 'hang' }], retryAfterSeconds: 1 });
        started.reset();
        expect(started.faults.snapshot()).toEqual({ script: [], random: random(5), retryAfterSeconds: 9 });
      } finally {
        await started.close();
      }
    });

    test('invalid configurations are rejected naming the field', () => {
      expect(() => emulator.faults.setRandom({ seed: 1, rates: { '500': 0.8, '503': 0.5 } })).toThrow(
        /sum to at most 1/
      );
      expect(() => emulator.faults.script({ kind: '418' as FaultKind })).toThrow(/script\[0\]\.kind/);
    });
  });
});
