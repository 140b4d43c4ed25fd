/**
 * SegmindClient against tiny local servers, for what the emulator cannot show: how many bytes of a
 * junk or oversized body were actually pulled before the socket closed, a 1 byte/s drip, where the
 * API key is (not) sent, and redaction.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { SegmindClient } from '../activities/segmind/client.js';
import { expectedCostMicros } from '../shared/price-card.js';
import { schnellParams } from './helpers/generation-params.js';
import { segmindFailure } from './helpers/segmind-failure.js';

const KEY = 'test-key-limits-not-a-real-key';
const MiB = 1024 * 1024;

const params = schnellParams();

interface Local {
  url: string;
  server: Server;
  /** Headers of every request received. */
  seen: Array<{ path: string; headers: IncomingMessage['headers'] }>;
  close(): Promise<void>;
}

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Local> {
  const seen: Local['seen'] = [];
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    req.resume();
    handler(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    seen,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/**
 * Streams `total` bytes in 64 KiB chunks, honouring back-pressure, and resolves with how many
 * bytes the socket took before the client went away (or all of them).
 */
function streamCounted(res: ServerResponse, total: number): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, 0xab);
  chunk[0] = 0xff;
  chunk[1] = 0xd8;
  return new Promise((resolve) => {
    let sent = 0;
    const pump = (): void => {
      while (sent < total && !res.destroyed) {
        sent += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      if (!res.destroyed) res.end();
    };
    res.on('close', () => resolve(sent));
    pump();
  });
}

const accounting = { 'x-request-id': 'req-123', 'x-cost': '0.007920', 'x-remaining-credits': '99.992080' };

let jpeg: Buffer;
beforeAll(async () => {
  jpeg = await sharp({ create: { width: 448, height: 256, channels: 3, background: '#336699' } })
    .jpeg()
    .toBuffer();
});

describe('SegmindClient limits (local servers)', () => {
  const open: Local[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((l) => l.close()));
  });
  const local = async (handler: (req: IncomingMessage, res: ServerResponse) => void) => {
    const l = await serve(handler);
    open.push(l);
    return l;
  };

  test('a 200 HTML page with a long body is refused after a small prefix, not billed', async () => {
    let sent: Promise<number> | undefined;
    const api = await local((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=UTF-8', server: 'cloudflare' });
      res.write('<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>');
      sent = streamCounted(res, 40 * MiB);
    });
    const client = new SegmindClient({ apiKey: KEY, baseUrl: api.url });
    const started = Date.now();
    const err = await segmindFailure(client.generate(params));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect([err.type, err.billed]).toEqual(['ProviderBadImage', undefined]);
    expect(err.message).toMatch(/text\/html.*instead of an image.*cloudflare.*Just a moment/);
    expect(await sent).toBeLessThan(8 * MiB);
  });

  test('a non-image 200 with accounting headers is booked at the price card as suspect', async () => {
    const api = await local((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', ...accounting });
      res.end('{"status":"ok"}');
    });
    const err = await segmindFailure(new SegmindClient({ apiKey: KEY, baseUrl: api.url }).generate(params));
    expect(err.type).toBe('ProviderBadImage');
    expect(err.billed).toEqual({
      requestId: 'req-123',
      model: 'flux-schnell',
      pricingMode: 'gpu-second',
      costMicros: expectedCostMicros('flux-schnell', 4),
      basis: 'suspect',
      creditsRemainingMicros: 99_992_080,
    });
  });

  test('an oversized chunked body is cut at maxBodyBytes: far less than 40 MiB leaves the server', async () => {
    let sent: Promise<number> | undefined;
    const api = await local((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/jpeg', ...accounting });
      sent = streamCounted(res, 40 * MiB);
    });
    const client = new SegmindClient({ apiKey: KEY, baseUrl: api.url, maxBodyBytes: MiB });
    const err = await segmindFailure(client.generate(params));
    expect(err.type).toBe('ProviderBadImage');
    expect(err.billed).toMatchObject({ requestId: 'req-123', costMicros: 7_920, basis: 'provider' });
    // The cap plus what the kernel buffers on a loopback socket, not the 40 MiB on offer.
    expect(await sent).toBeLessThan(12 * MiB);
  });

  test('a Content-Length over the cap is refused before any of the body is read', async () => {
    let sent: Promise<number> | undefined;
    const api = await local((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': 40 * MiB, ...accounting });
      sent = streamCounted(res, 40 * MiB);
    });
    const client = new SegmindClient({ apiKey: KEY, baseUrl: api.url, maxBodyBytes: MiB });
    const err = await segmindFailure(client.generate(params));
    expect(err.message).toMatch(/41943040 bytes, over the 1048576-byte cap/);
    expect(err.billed?.requestId).toBe('req-123');
    expect(await sent).toBeLessThan(12 * MiB);
  });

  test('a 1 byte/s drip fails at the total deadline, billed from its headers', async () => {
    const api = await local((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length, ...accounting });
      res.write(jpeg.subarray(0, 1)); // headers and the first byte at once, then one byte a second
      let i = 1;
      const timer = setInterval(() => {
        if (res.destroyed || i >= jpeg.length) return clearInterval(timer);
        res.write(jpeg.subarray(i, ++i));
      }, 1_000);
      res.on('close', () => clearInterval(timer));
    });
    const client = new SegmindClient({ apiKey: KEY, baseUrl: api.url, exchangeTimeoutMs: 1_000 });
    const started = Date.now();
    const err = await segmindFailure(client.generate(params));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect([err.type, err.retryable]).toEqual(['ProviderTimeout', true]);
    expect(err.billed).toMatchObject({ requestId: 'req-123', costMicros: 7_920 });
  });

  test('v2: the API key goes to the API origin only, never to the media host', async () => {
    const media = await local((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length });
      res.end(jpeg);
    });
    const api = await local((req, res) => {
      const json = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json', 'x-remaining-credits': '12.500000' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'POST' && req.url === '/v2/flux-schnell')
        return json(200, { request_id: 'job-1', status: 'QUEUED' });
      if (req.url === '/v2/requests/job-1/status') return json(200, { request_id: 'job-1', status: 'COMPLETED' });
      if (req.url === '/v2/requests/job-1') {
        return json(200, {
          request_id: 'job-1',
          status: 'COMPLETED',
          output: `${media.url}/bucket/job-1.jpg`,
          metrics: { gpu_seconds: 1.1, cost_usd: 0.00792 },
        });
      }
      json(404, { error: 'nope' });
    });
    const client = new SegmindClient({ apiKey: KEY, baseUrl: api.url });
    const job = await client.submit(params);
    expect(job).toMatchObject({ requestId: 'job-1', creditsRemainingMicros: 12_500_000 });
    expect(await client.status('flux-schnell', 'job-1')).toBe('COMPLETED');
    const image = await client.result('flux-schnell', 'job-1', params);
    expect(image.billed).toEqual({
      requestId: 'job-1',
      model: 'flux-schnell',
      pricingMode: 'gpu-second',
      gpuSeconds: 1.1,
      costMicros: 7_920,
      basis: 'provider',
      creditsRemainingMicros: 12_500_000,
    });
    expect(api.seen.map((r) => r.headers['x-api-key'])).toEqual([KEY, KEY, KEY]);
    expect(media.seen).toHaveLength(1);
    expect(media.seen[0]!.headers['x-api-key']).toBeUndefined();
    expect(JSON.stringify(media.seen[0]!.headers)).not.toContain(KEY);
  });

  test('v2: a result with no metrics is booked at the price card', async () => {
    const api = await local((req, res) => {
      if (req.url === '/v2/requests/job-2') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ status: 'COMPLETED', output: '/media/job-2.jpg' }));
      }
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      res.end(jpeg);
    });
    const image = await new SegmindClient({ apiKey: KEY, baseUrl: api.url }).result('flux-schnell', 'job-2', params);
    expect(image.billed).toMatchObject({ costMicros: expectedCostMicros('flux-schnell', 4), basis: 'price-card' });
    // Same origin (a relative output URL): sending the key there is allowed.
    expect(api.seen[1]).toMatchObject({ path: '/media/job-2.jpg' });
  });

  test('404 model on submit stops the batch; 404 on a media URL means the result is gone', async () => {
    const api = await local((req, res) => {
      if (req.method === 'POST') {
        res.writeHead(404, { 'content-type': 'application/json' });
        return res.end('{"error":"Model flux-schnell not found"}');
      }
      if (req.url === '/v2/requests/job-3') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(
          JSON.stringify({ status: 'COMPLETED', output: '/media/job-3.jpg', metrics: { cost_usd: 0.008 } })
        );
      }
      res.writeHead(404, { 'content-type': 'application/xml' });
      res.end('<Error><Code>NoSuchKey</Code></Error>');
    });
    const client = new SegmindClient({ apiKey: KEY, baseUrl: api.url });
    const model = await segmindFailure(client.submit(params));
    expect([model.type, model.status]).toEqual(['ProviderModelNotFound', 404]);
    const gone = await segmindFailure(client.result('flux-schnell', 'job-3', params));
    expect([gone.status, gone.type]).toEqual([404, 'ProviderResultExpired']);
    expect(gone.billed).toMatchObject({ requestId: 'job-3', costMicros: 8_000, basis: 'provider' });
  });

  test('the API key never appears in an error message', async () => {
    const api = await local((req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`upstream rejected key ${String(req.headers['x-api-key'])} at gateway`);
    });
    const client = new SegmindClient({ apiKey: KEY, baseUrl: api.url });
    for (const call of [client.generate(params), client.submit(params), client.status('flux-schnell', 'x')]) {
      const err = await segmindFailure(call);
      expect(err.type).toBe('ProviderServerError');
      expect(err.message).toContain('[redacted]');
      expect(err.message).not.toContain(KEY);
    }
  });

  test('a 200 submit that is not JSON is a retryable server error with nothing to book', async () => {
    const api = await local((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>maintenance</html>');
    });
    const err = await segmindFailure(new SegmindClient({ apiKey: KEY, baseUrl: api.url }).submit(params));
    expect([err.type, err.retryable, err.billed]).toEqual(['ProviderServerError', true, undefined]);
  });
});
