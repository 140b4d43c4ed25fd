import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { emulatorHealth } from '../../emulator/control-client.js';
import { createEmulator } from '../../emulator/server.js';
import { post, schnell } from './helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('emulator: latency and the standalone process', () => {
  test('a client that leaves during the simulated latency is still billed: the job was accepted and ran', async () => {
    const emulator = await createEmulator({
      latencyScale: 1,
      latencySeconds: { 'flux-schnell': 30, 'flux-dev': 0 },
      creditsMicros: 10_000,
    });
    try {
      await expect(post(emulator, 'flux-schnell', schnell(1), { headersTimeout: 200 })).rejects.toMatchObject({
        code: 'UND_ERR_HEADERS_TIMEOUT',
      });
      await until(() => emulator.requests().length > 0);
      const [entry] = emulator.billing();
      expect(entry).toMatchObject({ api: 'v1', outcome: 'client-closed', seed: 1 });
      expect(entry!.costMicros).toBeGreaterThan(7_000);
      expect(emulator.requests()[0]).toMatchObject({ outcome: 'client-closed', costMicros: entry!.costMicros });
      expect(emulator.credits()).toBe(10_000 - entry!.costMicros);
      // What is left (≈ $0.002) no longer covers another call.
      const dev = await post(emulator, 'flux-dev', { prompt: 'x', seed: 1, width: 256, height: 256, steps: 1 });
      expect(dev.status).toBe(406);
    } finally {
      await emulator.close();
    }
  });

  test('npm run emulator: prints its URL, serves, and stops cleanly on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'emulator/main.ts', '--port', '0', '--quiet', '--rpm', '2'],
      {
        cwd: root,
        env: { ...process.env, SEGMIND_EMULATOR_API_KEY: 'cli-test-key', SEGMIND_EMULATOR_LATENCY_SCALE: '0' },
        stdio: ['ignore', 'pipe', 'inherit'],
      }
    );
    try {
      const lines = createInterface({ input: child.stdout });
      const [first] = (await once(lines, 'line')) as [string];
      const url = /listening on (http:\/\/\S+)/.exec(first)?.[1];
      expect(url).toBeDefined();
      expect(await emulatorHealth(url!)).toMatchObject({ ok: true });
      const reply = await post({ url: url!, apiKey: 'cli-test-key' } as never, 'flux-schnell', schnell(1));
      expect(reply.status).toBe(200);
      const emu = { url: url!, apiKey: 'cli-test-key' } as never;
      expect((await post(emu, 'flux-schnell', schnell(2))).status).toBe(200);
      const limited = await post(emu, 'flux-schnell', schnell(3));
      expect(limited.status).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(50);
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
