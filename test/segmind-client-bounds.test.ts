/**
 * What the client bounds of the provider's answers: image dimensions (a decompression bomb from the
 * emulator's `huge-image` fault, v1 and v2), request ids (ledger keys, workflow state, URL paths) and
 * the provider's text copied into messages. Real HTTP: the emulator, or a tiny local server speaking
 * the protocol where the emulator would have to misbehave in ways Segmind does not.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { SegmindClient } from '../activities/segmind/client.js';
import {
  boundedText,
  isProviderId,
  MAX_PROVIDER_TEXT_CHARS,
  providerText,
  redactKey,
} from '../activities/segmind/provider-text.js';
import { expectedCostMicros } from '../shared/price-card.js';
import { useEmulatorClient } from './helpers/emulator-client.js';
import { schnellParams } from './helpers/generation-params.js';
import { segmindFailure } from './helpers/segmind-failure.js';

const KEY = 'test-key-bounds-not-a-real-key';

const params = schnellParams;

/** A local server answering every request with `handler`; closed after each test. */
const open: Array<() => Promise<void>> = [];
async function local(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    handler(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  open.push(async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((close) => close()));
});

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
};

describe('a huge-dimension image from the provider (emulator huge-image fault)', () => {
  const env = useEmulatorClient();

  // Refused by our header check, not by libvips' pixel limit: the decoder was never reached.
  const refusedFromHeader =
    /returned an image too large to decode: 20000×20000 \(400,000,000 px\) is over the 458,752-pixel limit \(4× the requested 448×256\); it was refused from its header, undecoded$/;

  test('v1: refused from its header as a deterministic wrong size, and booked', async () => {
    env.emulator.faults.script({ kind: 'huge-image' });
    const err = await segmindFailure(env.client.generate(params(1)));
    expect([err.type, err.retryable, err.status]).toEqual(['ProviderWrongSize', false, 200]);
    expect(err.message).toMatch(refusedFromHeader);
    expect(err.message).not.toMatch(/exceeds pixel limit|undecodable/);
    const [entry] = env.emulator.billing();
    expect(err.billed).toMatchObject({ requestId: entry!.requestId, costMicros: entry!.costMicros, basis: 'provider' });
  });

  test('v2: the media download is refused the same way, billed as the job was', async () => {
    env.emulator.faults.script({ kind: 'huge-image' });
    const job = await env.client.submit(params(2));
    let status = await env.client.status('flux-schnell', job.requestId);
    while (status === 'QUEUED' || status === 'PROCESSING') {
      await new Promise((r) => setTimeout(r, 10));
      status = await env.client.status('flux-schnell', job.requestId);
    }
    const err = await segmindFailure(env.client.result('flux-schnell', job.requestId, params(2)));
    expect([err.type, err.retryable]).toEqual(['ProviderWrongSize', false]);
    expect(err.message).toMatch(refusedFromHeader);
    expect(err.billed).toMatchObject({ requestId: job.requestId, basis: 'provider' });
    expect(env.emulator.billing()).toHaveLength(1);
  });
});

describe('provider ids', () => {
  test('the id rule: 1–128 characters of A-Z a-z 0-9 . _ : -', () => {
    for (const ok of ['9f1c2d3e-0000-4a4a-8b8b-123456789abc', 'job-1', 'a:b.c_d', 'x'.repeat(128)]) {
      expect(isProviderId(ok)).toBe(true);
    }
    for (const bad of ['', 'x'.repeat(129), 'job 1', 'job/../x', 'job\u001b[31m', 'jöb', 'a\nb', 42, null]) {
      expect(isProviderId(bad)).toBe(false);
    }
  });

  test.each([
    ['256 KB long', 'r'.repeat(200_000), /invalid request_id "r{39}…" \(200000 characters; ids are 1–128/],
    ['with control characters', 'job\u001b[2J\r\nforged', /invalid request_id "job\\u001b\[2J forged"/],
    ['a path', '../../v1/get-user-credits', /invalid request_id "\.\.\/\.\.\/v1\/get-user-credits"/],
    ['not a string', 12345, /invalid request_id a number/],
  ])(
    'v2 submit: a request_id %s is a protocol error, and the accepted job is still booked',
    async (_what, requestId, message) => {
      const url = await local((_req, res) =>
        json(res, 200, { request_id: requestId, status: 'QUEUED' }, { 'x-remaining-credits': '99.5' })
      );
      const err = await segmindFailure(new SegmindClient({ apiKey: KEY, baseUrl: url }).submit(params(3)));
      expect([err.type, err.retryable]).toEqual(['ProviderServerError', true]);
      expect(err.message).toMatch(message);
      expect(err.message.length).toBeLessThan(400);
      expect(err.message).not.toMatch(/\p{Cc}/u);
      // The rule for a junk v1 200: accounting headers show a job ran, so it is booked, as suspect.
      expect(err.billed).toEqual({
        requestId: expect.stringMatching(/^unreported-[0-9a-f-]{36}$/),
        model: 'flux-schnell',
        pricingMode: 'gpu-second',
        costMicros: expectedCostMicros('flux-schnell', 4),
        basis: 'suspect',
        creditsRemainingMicros: 99_500_000,
      });
    }
  );

  test('v2 submit: an invalid request_id with no accounting headers books nothing', async () => {
    const url = await local((_req, res) => json(res, 200, { request_id: 'a b' }));
    const err = await segmindFailure(new SegmindClient({ apiKey: KEY, baseUrl: url }).submit(params(4)));
    expect([err.type, err.billed]).toEqual(['ProviderServerError', undefined]);
  });

  test("v1: an invalid x-request-id keeps the paid image, booked under a local id; the type is the bytes'", async () => {
    const jpeg = await sharp({ create: { width: 448, height: 256, channels: 3, background: '#336699' } })
      .jpeg()
      .toBuffer();
    const url = await local((_req, res) => {
      res.writeHead(200, {
        'content-type': `application/octet-stream; name=${'j'.repeat(5_000)}`,
        'content-length': jpeg.length,
        'x-request-id': `evil <script> ${'z'.repeat(8_000)}`,
        'x-cost': '0.0042',
      });
      res.end(jpeg);
    });
    const image = await new SegmindClient({ apiKey: KEY, baseUrl: url }).generate(params(5));
    // It goes into the blob reference (workflow state): what the bytes are, not what the header said.
    expect(image.contentType).toBe('image/jpeg');
    expect(image.billed).toMatchObject({
      requestId: expect.stringMatching(/^unreported-[0-9a-f-]{36}$/),
      costMicros: 4_200,
      basis: 'provider',
    });
  });
});

describe("the provider's text in messages", () => {
  test('boundedText: whitespace collapsed, controls escaped, cut at 200 characters saying so', () => {
    expect(boundedText('a\r\n\tb')).toBe('a b');
    expect(boundedText('red \u001b[31mALERT\u001b[0m \u202eevil\u200b')).toBe(
      'red \\u001b[31mALERT\\u001b[0m \\u202eevil\\u200b'
    );
    const long = boundedText('é'.repeat(300_000));
    expect(long).toHaveLength(MAX_PROVIDER_TEXT_CHARS);
    expect(long.endsWith('…')).toBe(true);
    // Not through a surrogate pair.
    expect(boundedText('😀'.repeat(150))).toMatch(/^(😀)+…$/);
  });

  test('providerText: the JSON error, else the page text, bounded either way', () => {
    expect(providerText(JSON.stringify({ error: `bad\u001b[2Jprompt ${'x'.repeat(50_000)}` }))).toMatch(
      /^bad\\u001b\[2Jprompt x+…$/
    );
    expect(providerText(`<html><title>Down</title>${'<'.repeat(200_000)}</html>`).length).toBeLessThanOrEqual(200);
  });

  test('redactKey: the key, and its start left by an excerpt cut short', () => {
    expect(redactKey(`key ${KEY} and ${KEY.slice(0, 12)}…`, KEY)).toBe('key [redacted] and [redacted]…');
  });

  test('a 256 KB error page with escape codes becomes a short, printable message', async () => {
    const page = `{"error":"\\u001b]0;pwned\\u0007${'E'.repeat(250_000)}"}`;
    const url = await local((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(page);
    });
    const err = await segmindFailure(new SegmindClient({ apiKey: KEY, baseUrl: url }).generate(params(6)));
    expect(err.type).toBe('ProviderServerError');
    expect(err.message).toMatch(/^Segmind flux-schnell answered 500: \\u001b\]0;pwned\\u0007E+…$/);
    expect(err.message.length).toBeLessThan(260);
  });

  test('a junk 200: its server header (C1 CSI, 10 KB) and page text are bounded and printable', async () => {
    const url = await local((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html', server: `nginx\u009b2J${'s'.repeat(10_000)}` });
      res.end(`<html><body>\u001b[31m${'busy '.repeat(10_000)}</body></html>`);
    });
    const err = await segmindFailure(new SegmindClient({ apiKey: KEY, baseUrl: url }).generate(params(8)));
    expect(err.type).toBe('ProviderBadImage');
    expect(err.message).toMatch(/\(server: nginx\\u009b2Js+…\): \\u001b\[31mbusy (busy )+/);
    expect(err.message).not.toMatch(/\p{Cc}/u);
    expect(err.message.length).toBeLessThan(400);
  });

  test('an echoed key cut at the excerpt boundary is still redacted', async () => {
    const url = await local((_req, res) => json(res, 401, { error: `${'.'.repeat(190)} key ${KEY} rejected` }));
    const err = await segmindFailure(new SegmindClient({ apiKey: KEY, baseUrl: url }).generate(params(7)));
    expect(err.type).toBe('ProviderKeyRejected');
    expect(err.message).toMatch(/ key \[redacted\]…$/);
    expect(err.message).not.toContain(KEY.slice(0, 4));
  });
});
