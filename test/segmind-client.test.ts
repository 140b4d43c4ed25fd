/**
 * SegmindClient against the emulator over real HTTP: v2 submit → status → result, v2 errors, and the
 * junk / oversized / slow answers (v1 and v2 downloads) cut early.
 */
import { SegmindClient, type JobStatus, type ProviderExchange } from '../activities/segmind/client.js';
import { type SegmindError } from '../activities/segmind/errors.js';
import type { GenerationParams } from '../shared/generation-request.js';
import { callCostMicros, expectedCostMicros } from '../shared/price-card.js';
import { createEmulator } from '../emulator/server.js';
import { useEmulatorClient } from './helpers/emulator-client.js';
import { schnellParams } from './helpers/generation-params.js';
import { segmindFailure } from './helpers/segmind-failure.js';

const params = schnellParams;

const MiB = 1024 * 1024;

/** Polls until the job leaves QUEUED/PROCESSING; bounded by real time. */
async function waitDone(client: SegmindClient, requestId: string, model = 'flux-schnell' as const) {
  for (let i = 0; i < 500; i++) {
    const status = await client.status(model, requestId);
    if (status !== 'QUEUED' && status !== 'PROCESSING') return status;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`job ${requestId} did not finish`);
}

describe('SegmindClient v2 (async) against the emulator', () => {
  const env = useEmulatorClient();

  test('submit → status → result: the image, booked exactly as the emulator billed it', async () => {
    const job = await env.client.submit(params(42));
    const [entry] = env.emulator.billing();
    expect(entry).toMatchObject({ requestId: job.requestId, api: 'v2' });
    expect(job.creditsRemainingMicros).toBe(entry!.creditsAfterMicros);
    expect(job.acceptedAt).toEqual(expect.any(Number));
    expect(await waitDone(env.client, job.requestId)).toBe('COMPLETED');
    const image = await env.client.result('flux-schnell', job.requestId, params(42));
    expect([image.width, image.height, image.contentType]).toEqual([448, 256, 'image/jpeg']);
    expect(image.billed).toEqual({
      requestId: job.requestId,
      model: 'flux-schnell',
      pricingMode: 'gpu-second',
      gpuSeconds: entry!.gpuSeconds,
      costMicros: entry!.costMicros,
      basis: 'provider',
      creditsRemainingMicros: entry!.creditsAfterMicros,
    });
    expect(env.emulator.billing()).toHaveLength(1);
    expect(env.emulator.billing()[0]!.outcome).toBe('ok');
  });

  test('fast-flux-schnell drafts on v2 and v1: billed per GPU-second, by steps, as the emulator billed', async () => {
    const fast = (seed: number, steps: number) => params(seed, { model: 'fast-flux-schnell', steps });
    const job = await env.client.submit(fast(42, 2));
    expect(await waitDone(env.client, job.requestId, 'fast-flux-schnell' as never)).toBe('COMPLETED');
    const image = await env.client.result('fast-flux-schnell', job.requestId, fast(42, 2));
    const v1 = await env.client.generate(fast(43, 8));
    const [two, eight] = env.emulator.billing();
    expect([two!.model, two!.steps, eight!.model, eight!.steps]).toEqual([
      'fast-flux-schnell',
      2,
      'fast-flux-schnell',
      8,
    ]);
    for (const [got, entry] of [
      [image, two!],
      [v1, eight!],
    ] as const) {
      expect([got.width, got.height]).toEqual([448, 256]);
      expect(got.billed).toMatchObject({
        model: 'fast-flux-schnell',
        pricingMode: 'gpu-second',
        gpuSeconds: entry.gpuSeconds,
        costMicros: entry.costMicros,
        basis: 'provider',
      });
      // The client's price card and the emulator's bill agree on the rate.
      expect(got.billed.costMicros).toBe(callCostMicros('fast-flux-schnell', entry.gpuSeconds));
    }
    // Fewer steps, fewer GPU-seconds: 2 steps bill about the price card's 2-step cost, less than 8 steps.
    expect(Math.abs(image.billed.costMicros / expectedCostMicros('fast-flux-schnell', 2) - 1)).toBeLessThan(0.05);
    expect(image.billed.costMicros).toBeLessThan(v1.billed.costMicros);
  });

  test('a flat-priced model: the provider-reported flat fee, the bucket size accepted', async () => {
    const p: GenerationParams = { model: 'flux-1.1-pro', prompt: 'a neon city', seed: 5, aspectRatio: '16:9' };
    const job = await env.client.submit(p);
    expect(await waitDone(env.client, job.requestId, 'flux-1.1-pro' as never)).toBe('COMPLETED');
    const image = await env.client.result('flux-1.1-pro', job.requestId, p);
    expect([image.width, image.height]).toEqual([1344, 768]);
    expect(image.billed).toMatchObject({ costMicros: 50_000, pricingMode: 'flat', basis: 'provider' });
    expect(image.billed.costMicros).toBe(env.emulator.billing()[0]!.costMicros);
  });

  test('status walks QUEUED → PROCESSING → COMPLETED on the clock; an early result() is retryable and unbilled', async () => {
    let clock = 1_000_000;
    const timed = await createEmulator({ latencyScale: 1, now: () => clock });
    try {
      const c = new SegmindClient({ apiKey: timed.apiKey, baseUrl: timed.url });
      const job = await c.submit(params(7));
      const seen: JobStatus[] = [await c.status('flux-schnell', job.requestId)];
      const early = await segmindFailure(c.result('flux-schnell', job.requestId, params(7)));
      expect([early.type, early.retryable, early.billed]).toEqual(['ProviderTimeout', true, undefined]);
      clock += 1_000; // queueSeconds 1
      seen.push(await c.status('flux-schnell', job.requestId));
      clock += 5_000; // past the generation time
      for (let i = 0; i < 200 && seen.at(-1) !== 'COMPLETED'; i++) {
        await new Promise((r) => setTimeout(r, 10));
        const s = await c.status('flux-schnell', job.requestId);
        if (s !== seen.at(-1)) seen.push(s);
      }
      expect(seen).toEqual(['QUEUED', 'PROCESSING', 'COMPLETED']);
      const image = await c.result('flux-schnell', job.requestId, params(7));
      expect(image.billed.costMicros).toBe(timed.billing()[0]!.costMicros);
    } finally {
      await timed.close();
    }
  });

  test('401: a rejected key on submit and on status; nothing billed', async () => {
    const bad = env.clientWith({ apiKey: 'not-the-key' });
    const submit = await segmindFailure(bad.submit(params(1)));
    expect([submit.type, submit.status, submit.retryable]).toEqual(['ProviderKeyRejected', 401, false]);
    const job = await env.client.submit(params(1));
    const status = await segmindFailure(bad.status('flux-schnell', job.requestId));
    expect(status.type).toBe('ProviderKeyRejected');
    expect(status.message).not.toContain('not-the-key');
    expect(env.emulator.billing()).toHaveLength(1);
  });

  test('404 for an unknown job and 410 for an expired one say the result is gone', async () => {
    const unknown = await segmindFailure(env.client.status('flux-schnell', '00000000-0000-0000-0000-000000000000'));
    expect([unknown.type, unknown.status]).toEqual(['ProviderResultExpired', 404]);

    env.emulator.faults.script({ kind: 'expired' });
    const job = await env.client.submit(params(2));
    let status: SegmindError | undefined;
    for (let i = 0; i < 200 && !status; i++) {
      status = await env.client.status('flux-schnell', job.requestId).then(
        () => undefined,
        (err: SegmindError) => err
      );
      await new Promise((r) => setTimeout(r, 10));
    }
    expect([status?.status, status?.type]).toEqual([410, 'ProviderResultExpired']);
    const result = await segmindFailure(env.client.result('flux-schnell', job.requestId, params(2)));
    expect([result.status, result.type]).toEqual([410, 'ProviderResultExpired']);
    // The job was charged at submit; the result's failure says so, at the price card (no metrics).
    expect(result.billed).toMatchObject({
      requestId: job.requestId,
      costMicros: expectedCostMicros('flux-schnell', 4),
      basis: 'price-card',
    });
    expect(env.emulator.billing()[0]!.requestId).toBe(job.requestId);
  });

  test('422: a FAILED job is a deterministic, billed ProviderInvalidRequest', async () => {
    env.emulator.faults.script({ kind: 'job-failed' });
    const job = await env.client.submit(params(3));
    expect(await waitDone(env.client, job.requestId)).toBe('FAILED');
    const err = await segmindFailure(env.client.result('flux-schnell', job.requestId, params(3)));
    expect([err.type, err.status, err.retryable]).toEqual(['ProviderInvalidRequest', 422, false]);
    expect(err.message).toMatch(/Generation failed/);
    expect(err.billed).toMatchObject({ requestId: job.requestId, basis: 'price-card' });
    expect(env.emulator.billing()[0]).toMatchObject({ requestId: job.requestId, outcome: 'failed' });
  });

  test('422 at submit (content policy) and 406 (no credits) are refused and unbilled', async () => {
    const policy = await segmindFailure(env.client.submit(params(4, { prompt: 'gore compilation' })));
    expect([policy.type, policy.status, policy.retryable]).toEqual(['ProviderInvalidRequest', 422, false]);
    env.emulator.setCredits(0);
    const broke = await segmindFailure(env.client.submit(params(4)));
    expect([broke.type, broke.status]).toEqual(['ProviderOutOfCredits', 406]);
    expect(env.emulator.billing()).toEqual([]);
  });

  test('429 carries Retry-After; 503 is a retryable server error; neither is billed', async () => {
    env.emulator.faults.script({ kind: '429', api: 'v2', retryAfterSeconds: 2 }, { kind: '503', api: 'v2' });
    const rate = await segmindFailure(env.client.submit(params(5)));
    expect([rate.type, rate.status, rate.retryAfterMs, rate.retryable]).toEqual([
      'ProviderRateLimited',
      429,
      2_000,
      true,
    ]);
    const server = await segmindFailure(env.client.submit(params(5)));
    expect([server.type, server.retryable]).toEqual(['ProviderServerError', true]);
    expect(env.emulator.billing()).toEqual([]);
  });

  test('a junk HTML media download is refused fast, billed as the job; fetching the result again works', async () => {
    env.emulator.faults.script({ kind: 'junk-200' });
    const job = await env.client.submit(params(6));
    await waitDone(env.client, job.requestId);
    const err = await segmindFailure(env.client.result('flux-schnell', job.requestId, params(6)));
    expect([err.type, err.status]).toEqual(['ProviderBadImage', 200]);
    expect(err.message).toMatch(/text\/html.*instead of an image/);
    const [entry] = env.emulator.billing();
    expect(err.billed).toMatchObject({ requestId: job.requestId, costMicros: entry!.costMicros, basis: 'provider' });
    const image = await env.client.result('flux-schnell', job.requestId, params(6));
    expect(image.billed.costMicros).toBe(entry!.costMicros);
    expect(env.emulator.billing()).toHaveLength(1);
  });

  test('an oversized media download is cut at the cap (billed ProviderBadImage)', async () => {
    const capped = env.clientWith({ maxBodyBytes: MiB });
    env.emulator.faults.script({ kind: 'oversized' });
    const job = await capped.submit(params(8));
    await waitDone(capped, job.requestId);
    const started = Date.now();
    const err = await segmindFailure(capped.result('flux-schnell', job.requestId, params(8)));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect([err.type, err.retryable]).toEqual(['ProviderBadImage', true]);
    expect(err.message).toMatch(/exceeded the 1048576-byte cap/);
    expect(err.billed).toMatchObject({ requestId: job.requestId, basis: 'provider' });
  });

  test('a slow-drip media download hits the total deadline (billed ProviderTimeout)', async () => {
    const quick = env.clientWith({ exchangeTimeoutMs: 1_000, bodyTimeoutMs: 60_000 });
    env.emulator.faults.script({ kind: 'slow-drip' });
    const job = await quick.submit(params(9));
    await waitDone(quick, job.requestId);
    const started = Date.now();
    const err = await segmindFailure(quick.result('flux-schnell', job.requestId, params(9)));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect([err.type, err.retryable]).toEqual(['ProviderTimeout', true]);
    expect(err.message).toMatch(/longer than 1000 ms in total/);
    expect(err.billed).toMatchObject({ requestId: job.requestId, basis: 'provider' });
  });
});

describe('SegmindClient v1 (sync): junk is cut early', () => {
  const env = useEmulatorClient();

  test('a success is booked from its headers with basis provider', async () => {
    const image = await env.client.generate(params(1));
    const [entry] = env.emulator.billing();
    expect(image.billed).toMatchObject({
      requestId: entry!.requestId,
      costMicros: entry!.costMicros,
      gpuSeconds: entry!.gpuSeconds,
      basis: 'provider',
    });
  });

  test('junk-200 (HTML, no accounting headers) is a ProviderBadImage and not billed', async () => {
    env.emulator.faults.script({ kind: 'junk-200' });
    const err = await segmindFailure(env.client.generate(params(2)));
    expect([err.type, err.status, err.billed]).toEqual(['ProviderBadImage', 200, undefined]);
    expect(err.message).toMatch(/text\/html.*cloudflare/);
    expect(env.emulator.billing()).toEqual([]);
  });

  test('oversized (40 MiB) is cut at the default 25 MiB cap, billed', async () => {
    env.emulator.faults.script({ kind: 'oversized' });
    const err = await segmindFailure(env.client.generate(params(3)));
    expect(err.type).toBe('ProviderBadImage');
    expect(err.message).toMatch(/exceeded the 26214400-byte cap/);
    const [entry] = env.emulator.billing();
    expect(err.billed).toMatchObject({ requestId: entry!.requestId, costMicros: entry!.costMicros, basis: 'provider' });
  });

  test('slow-drip hits the total deadline though every chunk arrives within bodyTimeout; billed', async () => {
    const quick = env.clientWith({ exchangeTimeoutMs: 1_000, bodyTimeoutMs: 60_000 });
    env.emulator.faults.script({ kind: 'slow-drip' });
    const started = Date.now();
    const err = await segmindFailure(quick.generate(params(4)));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect([err.type, err.retryable]).toEqual(['ProviderTimeout', true]);
    const [entry] = env.emulator.billing();
    expect(err.billed).toMatchObject({ requestId: entry!.requestId, costMicros: entry!.costMicros });
  });

  test('a hang without headers hits the total deadline too, unbilled', async () => {
    const quick = env.clientWith({ exchangeTimeoutMs: 500 });
    env.emulator.faults.script({ kind: 'hang' });
    const err = await segmindFailure(quick.generate(params(5)));
    expect([err.type, err.billed]).toEqual(['ProviderTimeout', undefined]);
  });

  test('a caller abort is reported as cancelled', async () => {
    env.emulator.faults.script({ kind: 'hang' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const err = await segmindFailure(env.client.generate(params(6), controller.signal));
    expect(err.type).toBe('ProviderTimeout');
    expect(err.message).toMatch(/cancelled/);
  });
});

describe('SegmindClient onExchange (what the worker turns into provider metrics)', () => {
  const env = useEmulatorClient();

  test('every exchange is told with its model and status; one with no answer has no status', async () => {
    const told: ProviderExchange[] = [];
    const client = env.clientWith({
      exchangeTimeoutMs: 500,
      onExchange: (e) => told.push(e),
    });
    env.emulator.faults.script({ kind: '429', api: 'v2' });
    await segmindFailure(client.submit(params(1)));
    await client.credits();
    env.emulator.faults.script({ kind: 'hang', api: 'v1' });
    await segmindFailure(client.generate(params(2)));
    expect(told.map(({ model, status }) => ({ model, status }))).toEqual([
      { model: 'flux-schnell', status: 429 },
      { model: undefined, status: 200 },
      { model: 'flux-schnell', status: undefined },
    ]);
    for (const e of told) expect(e.seconds).toBeGreaterThanOrEqual(0);
  });

  test('an observer that throws does not cost the answer', async () => {
    const client = env.clientWith({
      onExchange: () => {
        throw new Error('metrics broke');
      },
    });
    const image = await client.generate(params(3));
    expect(image.billed.basis).toBe('provider');
  });
});
