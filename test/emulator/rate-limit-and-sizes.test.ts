import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { ONE_MP_SIZES, FOUR_MP_SIZES, SizeTable } from '../../emulator/sizes.js';
import { createEmulator, type Emulator } from '../../emulator/server.js';
import { call, post, schnell, submit } from './helpers.js';

describe('emulator: plan rate limit', () => {
  let clock = Date.UTC(2026, 0, 1, 12, 0, 0);
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await createEmulator({ rpm: 2, now: () => clock, apiKeys: ['key-a', 'key-b'] });
  });
  afterAll(() => emulator.close());

  test('counts v1 and v2 submits per key over a sliding minute; 429 says when a slot frees', async () => {
    expect((await post(emulator, 'flux-schnell', schnell(1))).status).toBe(200); // t = 0
    clock += 20_000;
    const job = await submit(emulator, 'flux-schnell', schnell(2)); // t = 20 s
    expect(job.status).toBe(200);
    clock += 5_500; // t = 25.5 s
    const limited = await post(emulator, 'flux-schnell', schnell(3));
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('35'); // the t = 0 submit leaves the window at 60 s
    expect(limited.headers['x-rate-limit-reset-at-utc']).toBe(new Date(Date.UTC(2026, 0, 1, 12, 1, 0)).toISOString());
    expect((JSON.parse(limited.text) as { error: string }).error).toMatch(/2 requests per minute/);
    expect((await submit(emulator, 'flux-schnell', schnell(3))).status).toBe(429);
    // Polls and the credits endpoint do not count.
    const { status_url } = JSON.parse(job.text) as { status_url: string };
    for (let i = 0; i < 5; i++) expect((await call(emulator, status_url)).status).toBe(200);
    expect((await call(emulator, '/v1/get-user-credits')).status).toBe(200);
    // Another key has its own quota.
    const b = { 'x-api-key': 'key-b', 'content-type': 'application/json' };
    expect((await post(emulator, 'flux-schnell', schnell(4), { headers: b })).status).toBe(200);
    // Refused submits take no slot and are not billed.
    expect(emulator.billing()).toHaveLength(3);
    expect(emulator.requests().filter((r) => r.outcome === 'rate-limited')).toHaveLength(2);
    // Each admitted submit records when the limit counted it; refused ones were not counted.
    const start = Date.UTC(2026, 0, 1, 12, 0, 0);
    expect(
      emulator
        .requests()
        .filter((r) => r.method === 'POST')
        .map((r) => r.rateCountedAt)
    ).toEqual([start, start + 20_000, undefined, undefined, start + 25_500]);

    clock += 34_499; // t = 59.999 s: still full
    expect((await post(emulator, 'flux-schnell', schnell(5))).headers['retry-after']).toBe('1');
    clock += 1; // t = 60 s: the first submit has left the window
    expect((await post(emulator, 'flux-schnell', schnell(5))).status).toBe(200);
    const again = await post(emulator, 'flux-schnell', schnell(6));
    expect(again.status).toBe(429);
    expect(again.headers['retry-after']).toBe('20'); // the t = 20 s submit leaves at 80 s
  });

  test('off by default', async () => {
    const free = await createEmulator();
    try {
      for (let i = 0; i < 30; i++) expect((await post(free, 'flux-schnell', schnell(i))).status).toBe(200);
    } finally {
      await free.close();
    }
  });

  test('rateWindowMs shortens the window (real clock)', async () => {
    const quick = await createEmulator({ rpm: 1, rateWindowMs: 200 });
    try {
      expect((await post(quick, 'flux-schnell', schnell(1))).status).toBe(200);
      const limited = await post(quick, 'flux-schnell', schnell(2));
      expect([limited.status, limited.headers['retry-after']]).toEqual([429, '1']);
      await new Promise((r) => setTimeout(r, 250));
      expect((await post(quick, 'flux-schnell', schnell(2))).status).toBe(200);
    } finally {
      await quick.close();
    }
  });
});

describe('emulator: its own output-size table', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await createEmulator();
  });
  afterAll(() => emulator.close());

  test('aspect-ratio buckets: multiples of 32, near 1 MP (4 MP for ultra), within 4 % of the ratio', () => {
    const table = new SizeTable();
    for (const [sizes, mp] of [
      [ONE_MP_SIZES, 1],
      [FOUR_MP_SIZES, 4],
    ] as const) {
      for (const [ratio, { width, height }] of Object.entries(sizes)) {
        const [w, h] = ratio.split(':').map(Number) as [number, number];
        expect(width % 32).toBe(0);
        expect(height % 32).toBe(0);
        expect(Math.abs((width * height) / (mp * 1024 * 1024) - 1)).toBeLessThan(0.06);
        expect(Math.abs(width / height / (w / h) - 1)).toBeLessThan(0.04);
      }
    }
    expect(table.sizeFor('flux-1.1-pro', { aspect_ratio: '16:9' })).toEqual({ width: 1344, height: 768 });
    expect(table.sizeFor('flux-pro', { aspect_ratio: '21:9' })).toEqual({ width: 1568, height: 672 });
    expect(table.sizeFor('flux-1.1-pro', {})).toEqual({ width: 1024, height: 1024 });
    expect(table.sizeFor('flux-1.1-pro-ultra', { aspect_ratio: '16:9' })).toEqual({ width: 2752, height: 1536 });
    expect(table.sizeFor('flux-schnell', {})).toEqual({ width: 1024, height: 1024 });
  });

  test.each([
    ['flux-1.1-pro', '4:3', 1152, 896],
    ['flux-pro', '2:3', 832, 1216],
    ['flux-1.1-pro-ultra', '9:16', 1536, 2752],
  ] as const)('%s %s is delivered as %i×%i', async (model, ratio, width, height) => {
    const reply = await post(emulator, model, { prompt: 'studio shot', seed: 1, aspect_ratio: ratio });
    expect(reply.status).toBe(200);
    const meta = await sharp(reply.bytes).metadata();
    expect([meta.width, meta.height]).toEqual([width, height]);
    expect(emulator.billing().at(-1)).toMatchObject({ width, height });
  });

  test('outputSizes overrides entries and the pixel rounding', async () => {
    const custom = await createEmulator({
      outputSizes: {
        aspectRatio: { 'flux-1.1-pro': { '16:9': { width: 1360, height: 768 } } },
        pixelMultiple: { 'flux-schnell': 32 },
      },
    });
    try {
      expect(custom.outputSize('flux-1.1-pro', { aspect_ratio: '16:9' })).toEqual({ width: 1360, height: 768 });
      expect(custom.outputSize('flux-1.1-pro', { aspect_ratio: '4:3' })).toEqual({ width: 1152, height: 896 });
      const reply = await post(custom, 'flux-schnell', schnell(1, { width: 448, height: 272 }));
      const meta = await sharp(reply.bytes).metadata();
      expect([meta.width, meta.height]).toEqual([448, 288]);
    } finally {
      await custom.close();
    }
    await expect(createEmulator({ outputSizes: { pixelMultiple: { 'flux-dev': 0 } } })).rejects.toThrow(
      /pixelMultiple/
    );
  });
});

test('the emulator imports nothing of the client: only emulator/ files, node: and packages', () => {
  const root = fileURLToPath(new URL('../../emulator/', import.meta.url));
  const offenders: string[] = [];
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  expect(files).toContain(join('routes', 'v1.ts')); // the walk reaches the sub-folders
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
      const target = m[1]!;
      // A relative import must stay inside emulator/ (routes/ may reach ../context.js, not ../../shared/).
      if (target.startsWith('.') && !resolve(root, dirname(file), target).startsWith(root)) {
        offenders.push(`${file}: ${target}`);
      }
    }
  }
  expect(offenders).toEqual([]);
});
