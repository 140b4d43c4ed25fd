/** worker/config.ts: the rule that keeps a Segmind key off plain http. */
import { ConfigError, loadWorkerConfig } from '../worker/config.js';
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
