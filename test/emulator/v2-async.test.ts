import { connect } from 'node:net';
import sharp from 'sharp';
import { request } from 'undici';
import { createEmulator, type Emulator } from '../../emulator/server.js';
import { call, json, jsonError, pollUntilDone, post, schnell, submit, type Submitted } from './helpers.js';

interface Result {
  request_id: string;
  status: string;
  output?: string;
  error?: string;
  metrics?: { gpu_seconds: number; cost_usd: number; seed: number; width: number; height: number };
}

describe('emulator: Segmind v2 async API', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await createEmulator();
  });
  afterAll(() => emulator.close());
  beforeEach(() => emulator.reset());

  test('submit → poll → result → media: shapes, absolute URLs, billing and credits', async () => {
    const reply = await submit(emulator, 'flux-schnell', schnell(42));
    expect(reply.status).toBe(200);
    const job = json<Submitted>(reply);
    expect(job).toEqual({
      request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: 'QUEUED',
      poll_url: `${emulator.url}/v2/requests/${job.request_id}/status`,
      status_url: `${emulator.url}/v2/requests/${job.request_id}/status`,
      response_url: `${emulator.url}/v2/requests/${job.request_id}`,
    });
    // Billed at acceptance: before any poll.
    const [entry] = emulator.billing();
    expect(entry).toMatchObject({ requestId: job.request_id, api: 'v2', model: 'flux-schnell', seed: 42 });
    expect(entry!.acceptedAt).toEqual(expect.any(Number));
    expect(reply.headers['x-remaining-credits']).toBe(((100_000_000 - entry!.costMicros) / 1e6).toFixed(6));

    expect(await pollUntilDone(emulator, job.status_url)).toBe('COMPLETED');
    const resultReply = await call(emulator, job.response_url);
    expect(resultReply.status).toBe(200);
    expect(resultReply.headers['x-remaining-credits']).toBe(reply.headers['x-remaining-credits']);
    const result = json<Result>(resultReply);
    expect(result).toMatchObject({
      request_id: job.request_id,
      status: 'COMPLETED',
      output: `${emulator.url}/v2/media/${job.request_id}.jpg`,
      metrics: { gpu_seconds: entry!.gpuSeconds, cost_usd: entry!.costMicros / 1e6, seed: 42, width: 448, height: 256 },
    });
    expect(emulator.billing()[0]!.outcome).toBe('ok');

    // The media URL is a CDN-style link: no key needed.
    const media = await call(emulator, result.output!, { headers: {} });
    expect(media.status).toBe(200);
    expect(media.headers['content-type']).toBe('image/jpeg');
    const meta = await sharp(media.bytes, { failOn: 'truncated' }).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 448, 256]);
    // Same bytes as the v1 call for the same body.
    const v1 = await post(emulator, 'flux-schnell', schnell(42));
    expect(v1.bytes.equals(media.bytes)).toBe(true);
    expect(emulator.billing().map((e) => e.api)).toEqual(['v2', 'v1']);
  });

  test('png output is served as image/png', async () => {
    const job = json<Submitted>(
      await submit(emulator, 'flux-1.1-pro', {
        prompt: 'chef portrait',
        seed: 3,
        aspect_ratio: '9:16',
        output_format: 'png',
      })
    );
    expect(await pollUntilDone(emulator, job.poll_url)).toBe('COMPLETED');
    const result = json<Result>(await call(emulator, job.response_url));
    expect(result.output).toMatch(/\.png$/);
    const media = await call(emulator, result.output!, { headers: {} });
    expect(media.headers['content-type']).toBe('image/png');
    const meta = await sharp(media.bytes).metadata();
    expect([meta.width, meta.height]).toEqual([768, 1344]);
    expect(result.metrics).toMatchObject({ cost_usd: 0.05, width: 768, height: 1344 });
  });

  test('submit errors: 404 model, 401 key, 422 parameters and policy, 406 balance — none billed', async () => {
    expect((await submit(emulator, 'flux-turbo', schnell(1))).status).toBe(404);
    const noKey = await call(emulator, '/v2/flux-schnell', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: schnell(1),
    });
    expect([noKey.status, jsonError(noKey)]).toEqual([401, 'Missing Authorization or x-api-key in header']);
    const bad = await submit(emulator, 'flux-schnell', schnell(1, { steps: 12, guidance: 2 }));
    expect(bad.status).toBe(422);
    expect(jsonError(bad)).toMatch(/steps must be an integer from 1 to 8.*; guidance is not a parameter/);
    const policy = await submit(emulator, 'flux-schnell', schnell(1, { prompt: 'nsfw' }));
    expect(policy.status).toBe(422);
    expect(jsonError(policy)).toMatch(/content policy/);
    emulator.setCredits(1_000);
    const broke = await submit(emulator, 'flux-schnell', schnell(1));
    expect(broke.status).toBe(406);
    expect(broke.text).toMatch(/^Insufficient credits: balance \$0\.001000, this call needs \$0\.00\d{4}$/);
    expect(emulator.billing()).toEqual([]);
  });

  test('status and result need the key that submitted the job; unknown ids are 404', async () => {
    const other = await createEmulator({ apiKeys: ['key-a', 'key-b'] });
    try {
      const a = { 'x-api-key': 'key-a', 'content-type': 'application/json' };
      const job = json<Submitted>(
        await call(other, '/v2/flux-schnell', { method: 'POST', headers: a, body: schnell(1) })
      );
      expect((await call(other, job.status_url, { headers: {} })).status).toBe(401);
      expect((await call(other, job.response_url, { headers: { 'x-api-key': 'wrong' } })).status).toBe(401);
      expect((await call(other, job.response_url, { headers: { 'x-api-key': 'key-b' } })).status).toBe(404);
      expect((await call(other, job.status_url, { headers: { 'x-api-key': 'key-a' } })).status).toBe(200);
      const unknown = await call(other, '/v2/requests/00000000-0000-0000-0000-000000000000', {
        headers: { 'x-api-key': 'key-a' },
      });
      expect([unknown.status, jsonError(unknown)]).toEqual([
        404,
        'Request 00000000-0000-0000-0000-000000000000 not found',
      ]);
    } finally {
      await other.close();
    }
  });

  test('jobs are billed whether or not anyone polls or downloads', async () => {
    const ids: string[] = [];
    for (let seed = 1; seed <= 3; seed++)
      ids.push(json<Submitted>(await submit(emulator, 'flux-schnell', schnell(seed))).request_id);
    const billed = emulator.billing();
    expect(billed.map((e) => e.requestId)).toEqual(ids);
    expect(emulator.credits()).toBe(100_000_000 - emulator.totalBilledMicros());
    expect(emulator.totalBilledMicros()).toBeGreaterThan(3 * 7_000);
    // Finished without a poll: the log says so once the jobs are done.
    for (let i = 0; i < 500 && ids.some((id) => emulator.jobStatus(id) !== 'COMPLETED'); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(emulator.billing().map((e) => e.outcome)).toEqual(['ok', 'ok', 'ok']);
  });

  test('GET /v1/get-user-credits reports the balance in USD; needs the key', async () => {
    await post(emulator, 'flux-1.1-pro', { prompt: 'hero', seed: 1 });
    await submit(emulator, 'flux-1.1-pro', { prompt: 'hero', seed: 2 });
    const reply = await call(emulator, '/v1/get-user-credits');
    expect(reply.status).toBe(200);
    expect(json(reply)).toEqual({ credits: 99.9, 'free-credits': 0 });
    expect(reply.headers['x-remaining-credits']).toBe('99.900000');
    expect((await call(emulator, '/v1/get-user-credits', { headers: {} })).status).toBe(401);
    expect((await call(emulator, '/v1/get-user-credits', { method: 'POST', body: {} })).status).toBe(405);
  });
});

describe('emulator: v2 job timeline on an injected clock', () => {
  let clock = 1_700_000_000_000;
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await createEmulator({
      now: () => clock,
      latencyScale: 1,
      queueSeconds: 2,
      latencySeconds: { 'flux-schnell': 5 },
      resultTtlMs: 10_000,
    });
  });
  afterAll(() => emulator.close());

  const statusOf = async (url: string) => {
    const reply = await call(emulator, url);
    return reply.status === 200 ? json<{ status: string }>(reply).status : reply.status;
  };

  test('QUEUED → PROCESSING → COMPLETED follows the clock; the result expires after resultTtlMs (410)', async () => {
    const job = json<Submitted>(await submit(emulator, 'flux-schnell', schnell(5)));
    expect(emulator.billing()[0]).toMatchObject({ acceptedAt: clock, outcome: 'pending' });
    expect(await statusOf(job.status_url)).toBe('QUEUED');
    expect(json(await call(emulator, job.response_url))).toEqual({ request_id: job.request_id, status: 'QUEUED' });
    clock += 2_500;
    expect(await statusOf(job.status_url)).toBe('PROCESSING');
    clock += 2_000;
    expect(await statusOf(job.status_url)).toBe('PROCESSING');
    clock += 3_000; // 7.5 s after submit: past queue (2 s) + latency (5 s); render is real time
    expect(await pollUntilDone(emulator, job.status_url)).toBe('COMPLETED');
    const result = json<Result>(await call(emulator, job.response_url));
    expect(result.metrics).toMatchObject({ queued_seconds: 2, inference_seconds: 5 });
    expect((await call(emulator, result.output!, { headers: {} })).status).toBe(200);

    clock += 9_999;
    expect(await statusOf(job.status_url)).toBe('COMPLETED');
    clock += 1;
    const gone = await call(emulator, job.response_url);
    expect(gone.status).toBe(410);
    expect(jsonError(gone)).toMatch(/has expired/);
    expect(await statusOf(job.status_url)).toBe(410);
    // The media is deleted too: what an object store answers for a missing key.
    const media = await call(emulator, result.output!, { headers: {} });
    expect(media.status).toBe(404);
    expect(media.text).toMatch(/NoSuchKey/);
    // Expiry does not refund.
    expect(emulator.billing()[0]).toMatchObject({ requestId: job.request_id, outcome: 'ok' });
  });

  test('media is 404 until the job completes', async () => {
    const job = json<Submitted>(await submit(emulator, 'flux-schnell', schnell(6)));
    const url = `${emulator.url}/v2/media/${job.request_id}.jpg`;
    expect((await call(emulator, url, { headers: {} })).status).toBe(404);
    clock += 7_100;
    expect(await pollUntilDone(emulator, job.status_url)).toBe('COMPLETED');
    expect((await call(emulator, url, { headers: {} })).status).toBe(200);
  });
});

describe('emulator: v2 URLs name the host the client reached', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    // As in docker-compose: bound to every interface, reached by a service name.
    emulator = await createEmulator({ host: '0.0.0.0' });
  });
  afterAll(() => emulator.close());

  test('output and poll URLs use the Host header, not the 0.0.0.0 bind address', async () => {
    const headers = { 'x-api-key': emulator.apiKey, host: `segmind-emulator:${emulator.port}` };
    const local = `http://127.0.0.1:${emulator.port}`;
    const submitted = await request(`${local}/v2/flux-schnell`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(schnell(11)),
    });
    const job = (await submitted.body.json()) as Submitted;
    const origin = `http://segmind-emulator:${emulator.port}`;
    expect(job.status_url).toBe(`${origin}/v2/requests/${job.request_id}/status`);
    expect(job.response_url).toBe(`${origin}/v2/requests/${job.request_id}`);
    const statusUrl = `${local}/v2/requests/${job.request_id}/status`;
    expect(await pollUntilDone(emulator, statusUrl)).toBe('COMPLETED');
    const result = (await (await request(`${local}/v2/requests/${job.request_id}`, { headers })).body.json()) as Result;
    expect(result.output).toBe(`${origin}/v2/media/${job.request_id}.jpg`);
    // The same path on the address this test can reach serves the image.
    const media = await call(emulator, result.output!.replace(origin, local), { headers: {} });
    expect(media.status).toBe(200);
  });

  /** An HTTP/1.0 submit over a raw socket: HTTP/1.0 may leave Host out, and nothing checks what it says. */
  const rawSubmit = (host: string | undefined, seed: number) =>
    new Promise<Submitted>((resolve, reject) => {
      const body = JSON.stringify(schnell(seed));
      const socket = connect(emulator.port, '127.0.0.1');
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', reject);
      socket.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as Submitted);
        } catch {
          reject(new Error(`not a JSON answer: ${text}`));
        }
      });
      socket.end(
        'POST /v2/flux-schnell HTTP/1.0\r\n' +
          (host === undefined ? '' : `Host: ${host}\r\n`) +
          `x-api-key: ${emulator.apiKey}\r\ncontent-type: application/json\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
      );
    });

  test('without a usable Host header the bound address is the fallback', async () => {
    expect(emulator.url).toBe(`http://0.0.0.0:${emulator.port}`);
    const bare = await rawSubmit(undefined, 12);
    expect(bare.status_url).toBe(`${emulator.url}/v2/requests/${bare.request_id}/status`);
    // A Host that is not a plain name[:port] is not pasted into URLs.
    const bent = await rawSubmit('evil.example/x?', 13);
    expect(bent.status_url).toBe(`${emulator.url}/v2/requests/${bent.request_id}/status`);
  });
});
