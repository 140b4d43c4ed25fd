import sharp from 'sharp';
import { createEmulator, type Emulator } from '../../emulator/server.js';
import { jsonError, post, schnell } from './helpers.js';

describe('emulator: Segmind v1 protocol', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await createEmulator();
  });
  afterAll(() => emulator.close());
  beforeEach(() => emulator.reset());

  test('auth: missing, wrong and Bearer keys are 401 with Segmind messages', async () => {
    const missing = await post(emulator, 'flux-schnell', schnell(1), {
      headers: { 'content-type': 'application/json' },
    });
    expect(missing.status).toBe(401);
    expect(jsonError(missing)).toBe('Missing Authorization or x-api-key in header');

    const wrong = await post(emulator, 'flux-schnell', schnell(1), {
      headers: { 'x-api-key': 'not-the-key', 'content-type': 'application/json' },
    });
    expect(wrong.status).toBe(401);
    expect(jsonError(wrong)).toBe('Unauthorized. API key is invalid or may have expired');

    const bearer = await post(emulator, 'flux-schnell', schnell(1), {
      headers: { authorization: `Bearer ${emulator.apiKey}`, 'content-type': 'application/json' },
    });
    expect(bearer.status).toBe(401);
    expect(emulator.billing()).toEqual([]);
  });

  test('routing: unknown model 404 JSON, wrong method 405 HTML', async () => {
    const unknown = await post(emulator, 'flux-turbo', schnell(1));
    expect(unknown.status).toBe(404);
    expect(jsonError(unknown)).toBe('Model flux-turbo not found');

    const get = await post(emulator, 'flux-schnell', {}, { method: 'GET' });
    expect(get.status).toBe(405);
    expect(get.headers['content-type']).toMatch(/^text\/html/);
    expect(get.text).toMatch(/<html>.*Method Not Allowed/);
  });

  test('content type must be JSON (406 plain text); malformed JSON is 400', async () => {
    const form = await post(emulator, 'flux-schnell', schnell(1), {
      headers: { 'x-api-key': emulator.apiKey, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(406);
    expect(form.text).toBe('Invalid content type');

    const broken = await post(emulator, 'flux-schnell', {}, { rawBody: '{"prompt": "a cat",' });
    expect(broken.status).toBe(400);
    expect(jsonError(broken)).toMatch(/Invalid JSON/);
  });

  test('invalid parameters are 400 naming every bad field', async () => {
    const reply = await post(emulator, 'flux-schnell', schnell(1, { width: 4000, steps: 12, guidance: 3 }));
    expect(reply.status).toBe(400);
    const error = jsonError(reply);
    expect(error).toMatch(/width must be an integer from 256 to 2048, got 4000/);
    expect(error).toMatch(/steps must be an integer from 1 to 8/);
    expect(error).toMatch(/guidance is not a parameter of flux-schnell/);

    const pro = await post(emulator, 'flux-1.1-pro', { prompt: 'x', seed: 1, aspect_ratio: '7:5' });
    expect(pro.status).toBe(400);
    expect(jsonError(pro)).toMatch(/aspect_ratio must be one of/);
    expect(emulator.billing()).toEqual([]);
  });

  test('blocked prompts are 400 content-policy rejections, whole words only', async () => {
    const reply = await post(emulator, 'flux-schnell', schnell(1, { prompt: 'zombie movie review, lots of GORE' }));
    expect(reply.status).toBe(400);
    expect(jsonError(reply)).toMatch(/^Prompt rejected by content policy: .*"GORE"/);
    // Case-insensitive whole words: as blunt as a real filter ("Al Gore" is rejected too).
    const name = await post(emulator, 'flux-schnell', schnell(1, { prompt: 'Al Gore explains climate graphs' }));
    expect(name.status).toBe(400);
    const substring = await post(emulator, 'flux-schnell', schnell(1, { prompt: 'gorgeous sunset timelapse' }));
    expect(substring.status).toBe(200);
  });

  test('the blocklist is configurable', async () => {
    const custom = await createEmulator({ blocklist: ['pineapple'] });
    try {
      expect((await post(custom, 'flux-schnell', schnell(1, { prompt: 'pineapple pizza' }))).status).toBe(400);
      expect((await post(custom, 'flux-schnell', schnell(1, { prompt: 'gore' }))).status).toBe(200);
    } finally {
      await custom.close();
    }
  });

  test('success: a decodable JPEG of the requested size with all accounting headers', async () => {
    const body = schnell(42);
    const reply = await post(emulator, 'flux-schnell', body);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('image/jpeg');
    expect(Number(reply.headers['content-length'])).toBe(reply.bytes.length);
    expect(reply.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(reply.headers['x-seed-value']).toBe('42');
    expect(reply.headers['x-cost']).toMatch(/^\d+\.\d{6}$/);
    expect(reply.headers['x-remaining-credits']).toMatch(/^\d+\.\d{6}$/);
    expect(reply.headers['x-generation-time']).toMatch(/^\d+\.\d{3}$/);
    const meta = await sharp(reply.bytes, { failOn: 'truncated' }).metadata();
    expect(meta.format).toBe('jpeg');
    expect({ width: meta.width, height: meta.height }).toEqual({ width: 448, height: 256 });
    expect(Math.round(Number(reply.headers['x-remaining-credits']) * 1e6)).toBe(emulator.credits());
  });

  test('width/height that are not multiples of 16 are rounded by the provider, not refused', async () => {
    const reply = await post(emulator, 'flux-schnell', schnell(1, { width: 450, height: 265 }));
    expect(reply.status).toBe(200);
    const meta = await sharp(reply.bytes).metadata();
    expect([meta.width, meta.height]).toEqual([448, 272]);
    expect(emulator.billing()[0]).toMatchObject({ width: 448, height: 272 });
  });

  test('pro models size by aspect ratio from the provider table and honour output_format png', async () => {
    const body = { prompt: 'studio portrait of a chef', seed: 7, aspect_ratio: '16:9', output_format: 'png' };
    const reply = await post(emulator, 'flux-1.1-pro', body);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('image/png');
    expect(reply.headers['x-cost']).toBe('0.050000');
    const meta = await sharp(reply.bytes).metadata();
    expect(meta.format).toBe('png');
    // The provider's bucket (multiples of 32 near 1 MP), not "16:9 at exactly 1 MP".
    expect({ width: meta.width, height: meta.height }).toEqual({ width: 1344, height: 768 });
    expect(emulator.outputSize('flux-1.1-pro', body)).toEqual({ width: 1344, height: 768 });
  });

  test('a body without a seed gets one, reported in x-seed-value', async () => {
    const { seed: _drop, ...noSeed } = schnell(0);
    const reply = await post(emulator, 'flux-schnell', noSeed);
    expect(reply.status).toBe(200);
    const seed = Number(reply.headers['x-seed-value']);
    expect(Number.isInteger(seed)).toBe(true);
    expect(emulator.billing()[0]?.seed).toBe(seed);
  });
});
