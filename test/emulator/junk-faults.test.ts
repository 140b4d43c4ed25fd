import sharp from 'sharp';
import { request } from 'undici';
import { createEmulator, type Emulator } from '../../emulator/server.js';
import { call, json, jsonError, pollUntilDone, post, schnell, submit, type Submitted } from './helpers.js';

const MiB = 1024 * 1024;

describe('emulator: junk, slow and oversized answers; v2 job faults', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await createEmulator({ dripBytesPerSecond: 1_000 });
  });
  afterAll(() => emulator.close());
  beforeEach(() => emulator.reset());

  test('v1 junk-200: an HTML page with status 200 and no accounting headers, not billed', async () => {
    emulator.faults.script({ kind: 'junk-200' });
    const reply = await post(emulator, 'flux-schnell', schnell(1));
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^text\/html/);
    expect(reply.text).toMatch(/<!DOCTYPE html>.*Cloudflare/);
    for (const h of ['x-cost', 'x-remaining-credits', 'x-generation-time', 'x-seed-value', 'x-request-id']) {
      expect(reply.headers[h]).toBeUndefined();
    }
    expect(emulator.billing()).toEqual([]);
    expect(emulator.requests()[0]).toMatchObject({ status: 200, outcome: 'junk', fault: 'junk-200', costMicros: 0 });
  });

  test('v1 slow-drip: full headers and Content-Length, then a few bytes at a time; billed', async () => {
    emulator.faults.script({ kind: 'slow-drip' });
    const res = await request(`${emulator.url}/v1/flux-schnell`, {
      method: 'POST',
      headers: { 'x-api-key': emulator.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify(schnell(3)),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    const promised = Number(res.headers['content-length']);
    expect(promised).toBeGreaterThan(5_000);
    expect(res.headers['x-cost']).toBeDefined();
    let received = 0;
    res.body.on('data', (chunk: Buffer) => (received += chunk.length));
    await new Promise((r) => setTimeout(r, 500));
    // 1000 B/s: generously, well under half the image after half a second.
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(promised / 2);
    res.body.destroy();
    expect(emulator.billing()[0]).toMatchObject({ api: 'v1', outcome: 'slow-drip', seed: 3 });
  });

  test('slow-drip delivers the real image eventually (fast drip)', async () => {
    const fast = await createEmulator({ dripBytesPerSecond: 500_000 });
    try {
      fast.faults.script({ kind: 'slow-drip' });
      const dripped = await post(fast, 'flux-schnell', schnell(4));
      const clean = await post(fast, 'flux-schnell', schnell(4));
      expect(dripped.bytes.equals(clean.bytes)).toBe(true);
    } finally {
      await fast.close();
    }
  });

  test('v1 oversized: 200 application/octet-stream, no Content-Length, 40 MiB of filler; billed', async () => {
    emulator.faults.script({ kind: 'oversized' });
    const res = await request(`${emulator.url}/v1/flux-schnell`, {
      method: 'POST',
      headers: { 'x-api-key': emulator.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify(schnell(5)),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.headers['x-cost']).toBeDefined();
    let total = 0;
    for await (const chunk of res.body) total += (chunk as Buffer).length;
    expect(total).toBe(40 * MiB);
    expect(emulator.billing()[0]).toMatchObject({ outcome: 'oversized' });
  });

  test('huge-image: a valid PNG declaring 20,000 × 20,000 px in under 64 KB; billed; v2 on the media download', async () => {
    emulator.faults.script({ kind: 'huge-image', api: 'v1' }, { kind: 'huge-image', api: 'v2' });
    const v1 = await post(emulator, 'flux-schnell', schnell(6));
    const job = json<Submitted>(await submit(emulator, 'flux-schnell', schnell(7)));
    expect(await pollUntilDone(emulator, job.status_url)).toBe('COMPLETED');
    const output = json<{ output: string }>(await call(emulator, job.response_url)).output;
    const v2 = await call(emulator, output, { headers: {} });
    for (const reply of [v1, v2]) {
      expect([reply.status, reply.headers['content-type']]).toEqual([200, 'image/png']);
      expect(reply.bytes.length).toBeLessThan(64 * 1024);
      const meta = await sharp(reply.bytes, { limitInputPixels: false }).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', 20_000, 20_000]);
    }
    expect(v1.headers['x-cost']).toBeDefined();
    expect(emulator.billing().map((e) => [e.api, e.outcome])).toEqual([
      ['v1', 'oversized'],
      ['v2', 'ok'],
    ]);
    // A CDN hiccup like the other media faults: the next download is the real image.
    expect((await call(emulator, output, { headers: {} })).headers['content-type']).toBe('image/jpeg');
  });

  test('v2 job-failed: status FAILED, result 422 {error}, still billed', async () => {
    emulator.faults.script({ kind: 'job-failed' });
    const job = json<Submitted>(await submit(emulator, 'flux-schnell', schnell(6)));
    expect(await pollUntilDone(emulator, job.status_url)).toBe('FAILED');
    const result = await call(emulator, job.response_url);
    expect(result.status).toBe(422);
    expect(json(result)).toMatchObject({ request_id: job.request_id, status: 'FAILED' });
    expect(jsonError(result)).toMatch(/^Generation failed/);
    expect(emulator.billing()).toEqual([expect.objectContaining({ requestId: job.request_id, outcome: 'failed' })]);
  });

  test('v2 expired: the result is already gone when the job finishes (410), still billed', async () => {
    emulator.faults.script({ kind: 'expired' });
    const job = json<Submitted>(await submit(emulator, 'flux-schnell', schnell(7)));
    expect(await pollUntilDone(emulator, job.status_url)).toBe('HTTP 410');
    expect((await call(emulator, job.response_url)).status).toBe(410);
    expect((await call(emulator, `${emulator.url}/v2/media/${job.request_id}.jpg`, { headers: {} })).status).toBe(404);
    expect(emulator.billing()).toHaveLength(1);
  });

  test('v2-only faults wait for a v2 submit; v1 requests pass them by', async () => {
    emulator.faults.script({ kind: 'job-failed' });
    expect((await post(emulator, 'flux-schnell', schnell(8))).status).toBe(200);
    expect(emulator.faults.pending()).toHaveLength(1);
    const job = json<Submitted>(await submit(emulator, 'flux-schnell', schnell(8)));
    expect(await pollUntilDone(emulator, job.status_url)).toBe('FAILED');
    expect(emulator.faults.pending()).toEqual([]);
  });

  test('the api filter scopes a scripted fault; v2 submit faults are unbilled', async () => {
    emulator.faults.script({ kind: '503', api: 'v2' });
    expect((await post(emulator, 'flux-schnell', schnell(9))).status).toBe(200);
    const refused = await submit(emulator, 'flux-schnell', schnell(9));
    expect(refused.status).toBe(503);
    expect(emulator.billing().map((e) => e.api)).toEqual(['v1']);
    expect(() => emulator.faults.script({ kind: '500', api: 'v3' as never })).toThrow(/script\[0\]\.api/);
  });

  test.each(['junk-200', 'truncate'] as const)(
    'v2 %s strikes the first media download only; the job is billed once',
    async (kind) => {
      emulator.faults.script({ kind });
      const job = json<Submitted>(await submit(emulator, 'flux-schnell', schnell(10)));
      expect(await pollUntilDone(emulator, job.status_url)).toBe('COMPLETED');
      const { output } = json<{ output: string }>(await call(emulator, job.response_url));
      if (kind === 'junk-200') {
        const junk = await call(emulator, output, { headers: {} });
        expect([junk.status, junk.headers['content-type']]).toEqual([200, 'text/html; charset=UTF-8']);
      } else {
        const res = await request(output);
        expect(res.statusCode).toBe(200);
        await expect(res.body.arrayBuffer()).rejects.toThrow();
      }
      const retry = await call(emulator, output, { headers: {} });
      expect(retry.headers['content-type']).toBe('image/jpeg');
      expect((await sharp(retry.bytes, { failOn: 'truncated' }).metadata()).width).toBe(448);
      expect(emulator.billing()).toHaveLength(1);
      expect(
        emulator
          .requests()
          .filter((r) => r.fault === kind)
          .map((r) => r.path)
      ).toEqual([`/v2/flux-schnell`, new URL(output).pathname]);
    }
  );

  test('v2 oversized and slow-drip apply to the media download', async () => {
    const small = await createEmulator({ oversizedBytes: 3 * MiB, dripBytesPerSecond: 1_000_000 });
    try {
      small.faults.script({ kind: 'oversized' }, { kind: 'slow-drip' });
      const urls: string[] = [];
      for (const seed of [11, 12]) {
        const job = json<Submitted>(await submit(small, 'flux-schnell', schnell(seed)));
        expect(await pollUntilDone(small, job.status_url)).toBe('COMPLETED');
        urls.push(json<{ output: string }>(await call(small, job.response_url)).output);
      }
      const big = await call(small, urls[0]!, { headers: {} });
      expect([big.headers['content-type'], big.bytes.length]).toEqual(['application/octet-stream', 3 * MiB]);
      const drip = await call(small, urls[1]!, { headers: {} });
      expect(drip.headers['content-type']).toBe('image/jpeg');
      expect(Number(drip.headers['content-length'])).toBe(drip.bytes.length);
    } finally {
      await small.close();
    }
  });

  test('random draws of the new kinds are reproducible per seed', () => {
    const decide = () =>
      Array.from(
        { length: 40 },
        (_, i) =>
          emulator.faults.next({ model: 'flux-schnell', prompt: 'p', api: 'v2', bodyKey: String(i) })?.kind ?? null
      );
    emulator.faults.setRandom({ seed: 4, rates: { 'junk-200': 0.2, 'job-failed': 0.2, '500': 0.1 } });
    const a = decide();
    emulator.faults.setRandom({ seed: 4, rates: { 'junk-200': 0.2, 'job-failed': 0.2, '500': 0.1 } });
    expect(decide()).toEqual(a);
    expect(new Set(a)).toEqual(new Set([null, 'junk-200', 'job-failed', '500']));
  });
});
