/** worker/config.ts: the rule that keeps a Segmind key off plain http, and the metrics port and address. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { projectRoot } from '../node/paths.js';
import { ConfigError, loadWorkerConfig, metricsSetting } from '../worker/config.js';
import { DEFAULT_EMULATOR_API_KEY } from '../emulator/server.js';

const REAL_KEY = 'sg_real_key_0123456789';

function load(env: NodeJS.ProcessEnv, needsProvider = true) {
  return loadWorkerConfig({ SEGMIND_API_KEY: REAL_KEY, ...env }, { needsProvider });
}

describe('SEGMIND_BASE_URL over http', () => {
  test('https is always accepted, and is the default', () => {
    expect(load({}).segmind.baseUrl).toBe('https://api.segmind.com');
    expect(load({ SEGMIND_BASE_URL: 'https://proxy.example.com' }).segmind.baseUrl).toBe('https://proxy.example.com');
  });

  test.each(['http://api.segmind.com', 'http://emulator:8787', 'http://10.0.0.5:8787'])(
    'a real key with %s is refused, naming the fix',
    (url) => {
      expect(() => load({ SEGMIND_BASE_URL: url })).toThrow(ConfigError);
      expect(() => load({ SEGMIND_BASE_URL: url })).toThrow(/plain http.*THUMBGATE_ALLOW_INSECURE_PROVIDER=emulator/);
    }
  );

  test.each(['http://127.0.0.1:8787', 'http://localhost:8787', 'http://[::1]:8787', 'http://127.0.0.2'])(
    'a loopback emulator (%s: the demo and the tests) is accepted',
    (url) => {
      expect(load({ SEGMIND_BASE_URL: url }).segmind.baseUrl).toBe(url);
    }
  );

  test("the emulator's own public key may go over http (docker-compose's emulator service)", () => {
    expect(DEFAULT_EMULATOR_API_KEY).toBe('emulator-local-key'); // the worker's copy of it must match
    const config = load({ SEGMIND_API_KEY: DEFAULT_EMULATOR_API_KEY, SEGMIND_BASE_URL: 'http://emulator:8787' });
    expect(config.segmind.baseUrl).toBe('http://emulator:8787');
  });

  test('THUMBGATE_ALLOW_INSECURE_PROVIDER=emulator names an http emulator explicitly; other values are refused', () => {
    const env = { SEGMIND_BASE_URL: 'http://emulator:8787', THUMBGATE_ALLOW_INSECURE_PROVIDER: 'emulator' };
    expect(load(env).segmind.baseUrl).toBe('http://emulator:8787');
    expect(() => load({ ...env, THUMBGATE_ALLOW_INSECURE_PROVIDER: 'yes' })).toThrow(
      /THUMBGATE_ALLOW_INSECURE_PROVIDER must be "emulator" or unset/
    );
  });

  test('other schemes are refused; a scoring-only worker, which sends no key, is not checked', () => {
    expect(() => load({ SEGMIND_BASE_URL: 'ftp://api.segmind.com' })).toThrow(/https:\/\//);
    expect(load({ SEGMIND_API_KEY: '', SEGMIND_BASE_URL: 'http://emulator:8787' }, false).storeDir).toBeTruthy();
  });
});

describe('--metrics-port / THUMBGATE_METRICS_PORT', () => {
  test('off unless set; the flag wins over the environment; an empty variable (compose) is unset', () => {
    expect(metricsSetting({}, undefined)).toBeUndefined();
    expect(metricsSetting({ THUMBGATE_METRICS_PORT: '' }, undefined)).toBeUndefined();
    expect(metricsSetting({ THUMBGATE_METRICS_PORT: '9464' }, undefined)).toEqual({
      port: 9464,
      setting: 'THUMBGATE_METRICS_PORT',
      host: '127.0.0.1',
    });
    expect(metricsSetting({ THUMBGATE_METRICS_PORT: '9464' }, '9100')).toEqual({
      port: 9100,
      setting: '--metrics-port',
      host: '127.0.0.1',
    });
  });

  test('served on loopback unless an address is given; the flag wins over THUMBGATE_METRICS_HOST', () => {
    const port = { THUMBGATE_METRICS_PORT: '9464' };
    expect(metricsSetting({ ...port, THUMBGATE_METRICS_HOST: '' }, undefined)?.host).toBe('127.0.0.1');
    expect(metricsSetting({ ...port, THUMBGATE_METRICS_HOST: '0.0.0.0' }, undefined)?.host).toBe('0.0.0.0');
    expect(metricsSetting({ ...port, THUMBGATE_METRICS_HOST: '0.0.0.0' }, undefined, '::1')?.host).toBe('::1');
  });

  test.each([
    ['THUMBGATE_METRICS_HOST', { THUMBGATE_METRICS_HOST: 'localhost' }, undefined, 'localhost'],
    ['--metrics-host', {}, '10.0.0.300', '10.0.0.300'],
  ])('%s must be an IP address to bind', (setting, env, flag, raw) => {
    expect(() => metricsSetting({ THUMBGATE_METRICS_PORT: '9464', ...env }, undefined, flag)).toThrow(
      `${setting} must be an IP address to bind (127.0.0.1, the default, for this host only; 0.0.0.0 in a ` +
        `container whose network Prometheus scrapes), got ${JSON.stringify(raw)}`
    );
  });

  test.each(['0', '65536', 'abc', '94.64', ''])('--metrics-port %j is refused, naming the flag and the fix', (raw) => {
    expect(() => metricsSetting({}, raw)).toThrow(ConfigError);
    expect(() => metricsSetting({}, raw)).toThrow(
      `--metrics-port must be an integer from 1 to 65535 (the TCP port Prometheus scrapes, e.g. 9464), ` +
        `got ${JSON.stringify(raw)}; leave it unset to run without metrics`
    );
  });

  test('a bad THUMBGATE_METRICS_PORT is named as such', () => {
    expect(() => metricsSetting({ THUMBGATE_METRICS_PORT: 'http://:9464' }, undefined)).toThrow(
      /^THUMBGATE_METRICS_PORT must be an integer from 1 to 65535/
    );
  });

  /** Runs the worker entry with `args` until it exits; its exit code and stderr. */
  async function runWorker(
    args: string[],
    env: NodeJS.ProcessEnv = {}
  ): Promise<{ code: number | null; stderr: string }> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts', ...args], {
      cwd: projectRoot,
      // Nothing listens on port 1: were the worker to get as far as connecting, it would fail differently.
      env: { PATH: process.env.PATH, TEMPORAL_ADDRESS: '127.0.0.1:1', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, stderr };
  }

  test('the worker exits with the usage code (2) and the message, before connecting to anything', async () => {
    const { code, stderr } = await runWorker(['--metrics-port', '70000']);
    expect(stderr).toContain('thumbgate worker: --metrics-port must be an integer from 1 to 65535');
    expect(code).toBe(2);
  }, 60_000);

  test('a port already taken is a usage error naming the setting and the port', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '0.0.0.0', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const { code, stderr } = await runWorker([], {
        THUMBGATE_METRICS_PORT: String(port),
        THUMBGATE_WORKER_ROLES: 'scoring',
      });
      expect(stderr).toContain(
        `thumbgate worker: THUMBGATE_METRICS_PORT ${port} on 127.0.0.1: cannot serve metrics there`
      );
      expect(stderr).toContain('give a free port, or leave it unset to run without metrics');
      expect(code).toBe(2);
    } finally {
      taken.close();
    }
  }, 60_000);

  test('the exporter binds the configured address only: a port taken on 127.0.0.1 is free on 127.0.0.2', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const env = { THUMBGATE_METRICS_PORT: String(port), THUMBGATE_WORKER_ROLES: 'scoring' };
      // The default address is loopback: the taken port is in the way.
      const loopback = await runWorker([], env);
      expect(loopback.stderr).toContain(`THUMBGATE_METRICS_PORT ${port} on 127.0.0.1: cannot serve metrics there`);
      // Another address binds its own socket (a wildcard bind would collide); the worker gets as far as
      // connecting to Temporal, which is not there.
      const other = await runWorker(['--metrics-host', '127.0.0.2'], env);
      expect(other.stderr).not.toContain('cannot serve metrics');
      expect(other.stderr).toMatch(/ConnectError.*127\.0\.0\.1:1/);
    } finally {
      taken.close();
    }
  }, 60_000);
});
