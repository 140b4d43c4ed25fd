/**
 * The v2 result's `output` URL is the provider's choice: SegmindClient fetches it only over https,
 * from the base URL's host or THUMBGATE_MEDIA_HOSTS, at public addresses, and never quotes what a
 * media URL answered. The API runs on a local server behind a non-loopback https base URL
 * (`https://api.segmind.test`): the test's dispatcher carries those requests to it over plain TCP, as
 * a TLS terminator in front of it would. Media downloads use the client's own guarded dispatcher.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import sharp from 'sharp';
import { Agent } from 'undici';
import { SegmindClient, type SegmindClientOptions } from '../activities/segmind/client.js';
import { schnellParams } from './helpers/generation-params.js';
import { segmindFailure } from './helpers/segmind-failure.js';

const KEY = 'test-key-media-guard';
const LEAK = 'aws_secret_access_key=AKIAFAKECREDENTIALS';
const BASE = 'https://api.segmind.test';

const params = schnellParams();

let jpeg: Buffer;
let server: Server;
let port: number;
/** What the result answers as `output` (a function of the port). */
let output: (port: number) => string;
/** How a non-API path answers (the "media"). */
let media: (res: ServerResponse) => void;
const mediaSeen: string[] = [];
let api: Agent;

beforeAll(async () => {
  jpeg = await sharp({ create: { width: 448, height: 256, channels: 3, background: '#336699' } })
    .jpeg()
    .toBuffer();
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    if (req.url === '/v2/requests/job-1') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ status: 'COMPLETED', output: output(port), metrics: { cost_usd: 0.008 } }));
    }
    mediaSeen.push(`${req.headers.host}${req.url}`);
    media(res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
  // The API's host resolves nowhere real: every connection of this dispatcher goes to the local server.
  api = new Agent({
    connect: (_options, callback) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => callback(null, socket));
      socket.once('error', (err) => callback(err, null));
    },
  });
});
afterAll(async () => {
  await api.close();
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
});
beforeEach(() => {
  mediaSeen.splice(0);
  media = (res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(LEAK.length) });
    res.end(LEAK);
  };
});

const client = (extra: Partial<SegmindClientOptions> = {}) =>
  new SegmindClient({ apiKey: KEY, baseUrl: BASE, dispatcher: api, ...extra });

describe('media URLs the provider points at', () => {
  test.each([
    ['127.0.0.1', (p: number) => `https://127.0.0.1:${p}/creds`],
    ['::ffff:7f00:1', (p: number) => `https://[::ffff:127.0.0.1]:${p}/creds`],
    ['169.254.169.254', () => 'https://169.254.169.254/latest/meta-data/iam/security-credentials/'],
  ])('an output at %s under a non-loopback https base is refused, not fetched', async (host, at) => {
    output = at;
    const err = await segmindFailure(client().result('flux-schnell', 'job-1', params));
    expect([err.type, err.retryable]).toEqual(['ProviderMediaRefused', false]);
    expect(err.message).toContain(`output refused: ${host}`);
    expect(err.message).not.toContain(LEAK);
    // The job was charged at submit: the refusal books it.
    expect(err.billed).toMatchObject({ requestId: 'job-1', costMicros: 8_000, basis: 'provider' });
    expect(mediaSeen).toEqual([]);
  });

  test('http media under an https base is refused, even on the base host', async () => {
    output = () => 'http://api.segmind.test/v2/media/job-1.jpg';
    media = (res) => {
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      res.end(jpeg);
    };
    const err = await segmindFailure(client().result('flux-schnell', 'job-1', params));
    expect(err.type).toBe('ProviderMediaRefused');
    expect(err.message).toMatch(/api\.segmind\.test: http is not allowed, only https/);
    expect(mediaSeen).toEqual([]);
  });

  test('a host that is not the base host nor in THUMBGATE_MEDIA_HOSTS is refused', async () => {
    output = () => 'https://elsewhere.example.test/x.jpg';
    const err = await segmindFailure(client().result('flux-schnell', 'job-1', params));
    expect(err.type).toBe('ProviderMediaRefused');
    expect(err.message).toMatch(/elsewhere\.example\.test is not an allowed host .*THUMBGATE_MEDIA_HOSTS/);
  });

  test('an allowed media host that resolves to loopback is refused at connect time (no rebinding gap)', async () => {
    output = (p) => `https://cdn.media.example.test:${p}/x.jpg`;
    const err = await segmindFailure(
      client({ mediaHosts: ['*.media.example.test'], mediaResolver: () => Promise.resolve(['127.0.0.1']) }).result(
        'flux-schnell',
        'job-1',
        params
      )
    );
    expect([err.type, err.retryable]).toEqual(['ProviderMediaRefused', false]);
    expect(err.message).toMatch(/cdn\.media\.example\.test resolves to a loopback address/);
    expect(err.billed).toMatchObject({ requestId: 'job-1', basis: 'provider' });
    expect(mediaSeen).toEqual([]);
  });
});

test("an http emulator base (compose's http://emulator:8787) serves media from its own non-public address", async () => {
  // The emulator's host resolves to a private address on the compose network; here, loopback.
  output = (p) => `http://emulator.test:${p}/v2/media/job-1.jpg`;
  media = (res) => {
    res.writeHead(200, { 'content-type': 'image/jpeg' });
    res.end(jpeg);
  };
  const emulatorBase = (extra: Partial<SegmindClientOptions> = {}) =>
    client({ baseUrl: `http://emulator.test:${port}`, mediaResolver: () => Promise.resolve(['127.0.0.1']), ...extra });
  const image = await emulatorBase().result('flux-schnell', 'job-1', params);
  expect([image.width, image.height]).toEqual([448, 256]);
  expect(mediaSeen).toEqual([`emulator.test:${port}/v2/media/job-1.jpg`]);
  // Another host at such an address is still refused, even when listed.
  output = (p) => `http://media.test:${p}/x.jpg`;
  const err = await segmindFailure(
    emulatorBase({ mediaHosts: ['media.test'] }).result('flux-schnell', 'job-1', params)
  );
  expect(err.type).toBe('ProviderMediaRefused');
  expect(err.message).toMatch(/media\.test resolves to a loopback address/);
});

describe("a media answer's body is never quoted", () => {
  // A loopback base (the emulator's case): media on its own host is fetched, over http.
  const local = () => new SegmindClient({ apiKey: KEY, baseUrl: `http://127.0.0.1:${port}` });
  beforeEach(() => {
    output = (p) => `http://127.0.0.1:${p}/media/job-1`;
  });

  test('a 200 that is not an image names its content type and length only', async () => {
    const err = await segmindFailure(local().result('flux-schnell', 'job-1', params));
    expect([err.type, err.status]).toEqual(['ProviderBadImage', 200]);
    expect(err.message).toMatch(
      new RegExp(`answered 200 with text/plain \\(${LEAK.length} bytes\\) instead of an image$`)
    );
    expect(err.message).not.toContain('aws_secret');
    expect(mediaSeen).toHaveLength(1);
  });

  test.each([404, 500, 400])('a %i names its status and content type only', async (status) => {
    media = (res) => {
      res.writeHead(status, { 'content-type': `text/plain; note=${LEAK}` });
      res.end(LEAK);
    };
    const err = await segmindFailure(local().result('flux-schnell', 'job-1', params));
    expect(err.status).toBe(status);
    expect(err.message).toContain(`answered ${status} with text/plain`);
    expect(err.message).not.toContain('aws_secret');
  });
});
