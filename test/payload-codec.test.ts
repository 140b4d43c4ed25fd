/**
 * Issue 17.5: the payload codec (AES-256-GCM, keys from THUMBGATE_PAYLOAD_KEYS) and the codec server
 * the Temporal UI and CLI decode through. The history-level proof is payload-codec.e2e.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import {
  type EncryptionCodec,
  PayloadKeyError,
  payloadCodecFromEnv,
  payloadDataConverter,
  payloadKeysFromEnv,
} from '../node/payload-codec.js';
import { request } from 'undici';
import { allowedHostHeaders, startCodecServer, type RunningCodecServer } from '../client/commands/codec-server.js';
import { thumbgate } from './helpers/cli-process.js';
import { startWorkerProcess, stopAllWorkerProcesses } from './helpers/worker-process.js';

const keyA = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64');
const SECRET = 'prompt: a marker-7f3a9 only the workers may read';

const plain = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const text = (p: Payload): string => Buffer.from(p.data!).toString('utf8');
const meta = (p: Payload, key: string): string | undefined =>
  p.metadata?.[key] ? Buffer.from(p.metadata[key]).toString('utf8') : undefined;

function codec(keys: string, activeId?: string): EncryptionCodec {
  return payloadCodecFromEnv({
    THUMBGATE_PAYLOAD_KEYS: keys,
    ...(activeId ? { THUMBGATE_PAYLOAD_KEY_ID: activeId } : {}),
  })!;
}

afterAll(() => stopAllWorkerProcesses());

describe('payload codec', () => {
  test('encrypts under the active key id with a fresh IV; decodes back to the same payload', async () => {
    const c = codec(`a:${keyA},b:${keyB}`);
    const [one, two] = await c.encode([plain(SECRET), plain(SECRET)]);
    expect(meta(one!, 'encoding')).toBe('binary/encrypted');
    expect(meta(one!, 'encryption-key-id')).toBe('a');
    expect(Buffer.from(one!.data!).includes(Buffer.from('marker-7f3a9'))).toBe(false);
    expect(Buffer.from(one!.data!).equals(Buffer.from(two!.data!))).toBe(false);
    const [back] = await c.decode([one!]);
    expect(meta(back!, 'encoding')).toBe('json/plain');
    expect(defaultPayloadConverter.fromPayload(back!)).toBe(SECRET);
  });

  test('leaves payloads it did not encrypt untouched (older histories, the replay fixtures)', async () => {
    const p = plain({ prompt: SECRET });
    await expect(codec(`a:${keyA}`).decode([p])).resolves.toEqual([p]);
  });

  test("THUMBGATE_PAYLOAD_REQUIRE=1: a plain payload (a keyless client's input) is refused, with the variable and the fix", async () => {
    const env = { THUMBGATE_PAYLOAD_KEYS: `a:${keyA}`, THUMBGATE_PAYLOAD_REQUIRE: '1' };
    const [workerCodec] = payloadDataConverter(env).payloadCodecs!;
    const [sealed] = await workerCodec!.encode([plain(SECRET)]);
    // What it encrypted still reads; a plain input does not.
    expect(defaultPayloadConverter.fromPayload((await workerCodec!.decode([sealed!]))[0]!)).toBe(SECRET);
    await expect(workerCodec!.decode([plain({ notifyUrl: 'https://x.example/hook' })])).rejects.toThrow(
      /unencrypted and THUMBGATE_PAYLOAD_REQUIRE=1 .*must run with the workers' THUMBGATE_PAYLOAD_KEYS; unset THUMBGATE_PAYLOAD_REQUIRE/
    );
    // Off by default and with 0; the codec server never applies it (the UI reads older histories).
    for (const off of [{}, { THUMBGATE_PAYLOAD_REQUIRE: '0' }]) {
      const p = plain(SECRET);
      await expect(payloadCodecFromEnv({ THUMBGATE_PAYLOAD_KEYS: `a:${keyA}`, ...off })!.decode([p])).resolves.toEqual([
        p,
      ]);
    }
    await expect(payloadCodecFromEnv(env, { honourRequire: false })!.decode([plain(SECRET)])).resolves.toHaveLength(1);
    expect(() => payloadCodecFromEnv({ THUMBGATE_PAYLOAD_REQUIRE: '1' })).toThrow(
      /THUMBGATE_PAYLOAD_REQUIRE is set but THUMBGATE_PAYLOAD_KEYS is not/
    );
    expect(() => payloadCodecFromEnv({ ...env, THUMBGATE_PAYLOAD_REQUIRE: 'yes' })).toThrow(
      /THUMBGATE_PAYLOAD_REQUIRE must be 1/
    );
  });

  test('rotation: a payload encrypted under key A still decodes after the active id moves to B', async () => {
    const [underA] = await codec(`a:${keyA}`).encode([plain(SECRET)]);
    const rotated = codec(`a:${keyA},b:${keyB}`, 'b');
    const [fresh] = await rotated.encode([plain(SECRET)]);
    expect(meta(fresh!, 'encryption-key-id')).toBe('b');
    const decoded = await rotated.decode([underA!, fresh!]);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([SECRET, SECRET]);
    // Retiring A too early is named, with the fix.
    await expect(codec(`b:${keyB}`).decode([underA!])).rejects.toThrow(
      /key id "a", which THUMBGATE_PAYLOAD_KEYS does not list/
    );
  });

  test('a relabelled or altered payload does not decrypt', async () => {
    const [p] = await codec(`a:${keyA}`).encode([plain(SECRET)]);
    const swapped = { ...p!, metadata: { ...p!.metadata, 'encryption-key-id': Buffer.from('b') } };
    await expect(codec(`a:${keyA},b:${keyA}`).decode([swapped])).rejects.toThrow(/does not decrypt/);
    const flipped = Buffer.from(p!.data!);
    flipped[20] = flipped[20]! ^ 1;
    await expect(codec(`a:${keyA}`).decode([{ ...p!, data: flipped }])).rejects.toThrow(/does not decrypt/);
  });

  test('keys: off when unset; wrong lengths, bad entries and unknown ids refused without echoing a key', () => {
    expect(payloadKeysFromEnv({})).toBeUndefined();
    expect(payloadDataConverter({})).toEqual({});
    expect(payloadDataConverter({ THUMBGATE_PAYLOAD_KEYS: `a:${keyA}` }).failureConverterPath).toMatch(
      /failure-converter\.cjs$/
    );
    const short = randomBytes(16).toString('base64');
    const refusal = (env: NodeJS.ProcessEnv): string => {
      try {
        payloadKeysFromEnv(env);
      } catch (err) {
        expect(err).toBeInstanceOf(PayloadKeyError);
        return (err as Error).message;
      }
      throw new Error('expected a PayloadKeyError');
    };
    const tooShort = refusal({ THUMBGATE_PAYLOAD_KEYS: `a:${keyA},old:${short}` });
    expect(tooShort).toMatch(/THUMBGATE_PAYLOAD_KEYS: key "old" is 16 bytes; AES-256 needs 32/);
    expect(tooShort).toContain('openssl rand -base64 32');
    expect(tooShort).not.toContain(short);
    expect(refusal({ THUMBGATE_PAYLOAD_KEYS: randomBytes(48).toString('base64') })).toMatch(
      /entry 1 is not keyId:base64key/
    );
    expect(refusal({ THUMBGATE_PAYLOAD_KEYS: `a:${keyA}`, THUMBGATE_PAYLOAD_KEY_ID: 'c' })).toMatch(
      /THUMBGATE_PAYLOAD_KEY_ID is "c", which THUMBGATE_PAYLOAD_KEYS does not list/
    );
    expect(refusal({ THUMBGATE_PAYLOAD_KEYS: '' })).toMatch(/set but empty/);
    expect(refusal({ THUMBGATE_PAYLOAD_KEYS: `a:${keyA},a:${keyB}` })).toMatch(/"a" is listed twice/);
    expect(refusal({ THUMBGATE_PAYLOAD_KEY_ID: 'a' })).toMatch(/THUMBGATE_PAYLOAD_KEYS is not/);
  });

  test('the worker and the CLI refuse a wrong-length key at start-up (exit 2), naming the variable only', async () => {
    const short = randomBytes(24).toString('base64');
    const env = { THUMBGATE_PAYLOAD_KEYS: `k1:${short}` };
    const cli = await thumbgate(['codec-server', '--port', '0'], env);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/THUMBGATE_PAYLOAD_KEYS: key "k1" is 24 bytes/);
    expect(cli.stderr).not.toContain(short);
    const list = await thumbgate(['list'], env);
    expect(list.code).toBe(2);
    expect(list.stderr).toMatch(/THUMBGATE_PAYLOAD_KEYS/);

    const root = await mkdtemp(join(tmpdir(), 'thumbgate-keys-'));
    try {
      const started = startWorkerProcess({
        // Nothing listens there: the key is refused before the worker connects, so no server is needed.
        temporalAddress: '127.0.0.1:1',
        taskQueue: 'payload-keys',
        storeDir: join(root, 'store'),
        outDir: join(root, 'out'),
        roles: 'scoring',
        env,
      });
      const refused = await started.then(
        () => 'started',
        (err: Error) => err.message
      );
      expect(refused).toMatch(/exited \(2\) before starting/);
      expect(refused).toMatch(/THUMBGATE_PAYLOAD_KEYS: key "k1" is 24 bytes/);
      expect(refused).not.toContain(short);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('codec server (real HTTP)', () => {
  const TOKEN = 'codec-token-for-tests';
  const UI = 'http://localhost:8233';
  let server: RunningCodecServer;
  beforeAll(async () => {
    server = await startCodecServer({ codec: codec(`a:${keyA}`), port: 0, token: TOKEN, allowOrigins: [UI] });
  });
  afterAll(() => server?.close());

  const json = (payloads: Payload[]) => ({
    payloads: payloads.map((p) => ({
      metadata: Object.fromEntries(
        Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])
      ),
      data: Buffer.from(p.data!).toString('base64'),
    })),
  });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const auth = { Authorization: `Bearer ${TOKEN}` };

  test('binds loopback; encode then decode round-trips through the protocol, under a namespace prefix too', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const encoded = await post('/encode', json([plain(SECRET)]), auth);
    expect(encoded.status).toBe(200);
    const body = (await encoded.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(Buffer.from(body.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(body.payloads[0]!.data, 'base64').toString('latin1')).not.toContain('marker-7f3a9');

    const decoded = await post('/default/decode', body, { ...auth, 'X-Namespace': 'default' });
    expect(decoded.status).toBe(200);
    const out = (await decoded.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(JSON.parse(Buffer.from(out.payloads[0]!.data, 'base64').toString())).toBe(SECRET);
    // What the workers encrypted, the server decrypts (same keys, same format).
    const [fromWorker] = await codec(`a:${keyA}`).encode([plain(SECRET)]);
    const viaServer = await post('/decode', json([fromWorker!]), auth);
    const viaJson = (await viaServer.json()) as { payloads: { data: string }[] };
    expect(text({ data: Buffer.from(viaJson.payloads[0]!.data, 'base64') })).toBe(JSON.stringify(SECRET));
  });

  test('refuses a missing or wrong token, bad bodies and other paths', async () => {
    const body = json([plain(SECRET)]);
    const missing = await post('/decode', body);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(await missing.text()).toMatch(/THUMBGATE_CODEC_TOKEN/);
    expect((await post('/encode', body, { Authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect((await post('/decode', '{not json', auth)).status).toBe(400);
    expect((await post('/decode', { payloads: [{ data: 'not base64!' }] }, auth)).status).toBe(400);
    expect((await post('/elsewhere', body, auth)).status).toBe(404);
    expect((await fetch(`${server.url}/decode`, { headers: auth })).status).toBe(405);
    // A payload under a key it does not hold: the protocol's 400, with the reason.
    const [underB] = await codec(`b:${keyB}`).encode([plain(SECRET)]);
    const unknown = await post('/decode', json([underB!]), auth);
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toMatch(/key id "b"/);
  });

  test('answers only its own Host names: a rebound name is refused (421), localhost / 127.0.0.1 / [::1] pass', async () => {
    const port = new URL(server.url).port;
    // undici's request sends the Host header it is given, as a browser does for a rebound name.
    const asHost = async (host: string) => {
      const res = await request(`${server.url}/decode`, {
        method: 'POST',
        headers: { host, 'content-type': 'application/json', ...auth },
        body: JSON.stringify({ payloads: [] }),
      });
      return { status: res.statusCode, text: await res.body.text() };
    };
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`]) {
      expect([host, (await asHost(host)).status]).toEqual([host, 200]);
    }
    for (const host of [
      `evil.example:${port}`,
      'localhost',
      `localhost:${Number(port) + 1}`,
      `127.0.0.1.nip.io:${port}`,
    ]) {
      const refused = await asHost(host);
      expect([host, refused.status]).toEqual([host, 421]);
      expect(refused.text).toMatch(/is not one this codec server answers \(--allow-host\)\n$/);
    }
  });

  test('--allow-host adds a name: HOST alone with no port or its own, HOST:PORT exactly', () => {
    const hosts = allowedHostHeaders(['codec.internal', 'Proxy.example:8443'], 8888);
    expect([...hosts].sort()).toEqual(
      [
        '127.0.0.1:8888',
        '[::1]:8888',
        'codec.internal',
        'codec.internal:8888',
        'localhost:8888',
        'proxy.example:8443',
      ].sort()
    );
    expect(() => allowedHostHeaders(['http://x.example/'], 8888)).toThrow(/--allow-host must be HOST or HOST:PORT/);
  });

  test('CORS answers the UI origin only (the UI preflights with X-Namespace and Authorization)', async () => {
    const preflight = (origin: string) =>
      fetch(`${server.url}/decode`, {
        method: 'OPTIONS',
        headers: {
          Origin: origin,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'content-type,x-namespace,authorization',
        },
      });
    const ui = await preflight(UI);
    expect(ui.status).toBe(204);
    expect(ui.headers.get('access-control-allow-origin')).toBe(UI);
    expect(ui.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/);
    expect(ui.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    const other = await preflight('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
