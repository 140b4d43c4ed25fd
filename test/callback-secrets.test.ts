/**
 * The callback secrets' settings (worker/callback-secrets.ts): THUMBGATE_WEBHOOK_SECRETS per receiver
 * host over THUMBGATE_WEBHOOK_SECRET, 32 characters at least, refused at start-up without echoing a
 * secret — by the worker and by the demo, which signs with its public secret only for its own receiver.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { projectRoot } from '../node/paths.js';
import { callbackKeysFromEnv } from '../worker/callback-secrets.js';
import { ConfigError } from '../worker/config.js';

const LONG_A = 'a'.repeat(32);
/** Base64 with padding: `=` inside a secret is kept (an entry splits at its first `=`). */
const LONG_B = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5==';
const SHORT = 'too-short-secret-9f3a';

/** The ConfigError a setting is refused with; fails the test when it is accepted. */
function refusal(env: NodeJS.ProcessEnv): ConfigError {
  try {
    callbackKeysFromEnv(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('the setting was accepted');
}

describe('THUMBGATE_WEBHOOK_SECRETS and THUMBGATE_WEBHOOK_SECRET', () => {
  test('entries by host or host:port, commas or newlines between them; the fallback for the rest', () => {
    const keys = callbackKeysFromEnv({
      THUMBGATE_WEBHOOK_SECRETS: `Hooks.Example.com=${LONG_A},\n  sched.internal:8443=${LONG_B} [::1]:9000=${LONG_B}`,
      THUMBGATE_WEBHOOK_SECRET: ` ${LONG_A.toUpperCase()}\n`,
    });
    expect(keys.secretFor('https://hooks.example.com/done')).toBe(LONG_A);
    expect(keys.secretFor('https://sched.internal:8443/done')).toBe(LONG_B);
    expect(keys.secretFor('https://sched.internal/done')).toBe(LONG_A.toUpperCase());
    expect(keys.secretFor('http://[::1]:9000/done')).toBe(LONG_B);
  });

  test('unset or empty (as compose leaves it): no secret, so callbacks are not sent', () => {
    expect(callbackKeysFromEnv({}).secretFor('https://hooks.example.com/')).toBeUndefined();
    const empty = callbackKeysFromEnv({ THUMBGATE_WEBHOOK_SECRET: '', THUMBGATE_WEBHOOK_SECRETS: '' });
    expect(empty.secretFor('https://hooks.example.com/')).toBeUndefined();
  });

  test('a short THUMBGATE_WEBHOOK_SECRET is refused with the variable and the fix, not the secret', () => {
    const err = refusal({ THUMBGATE_WEBHOOK_SECRET: SHORT });
    expect(err.message).toMatch(/^THUMBGATE_WEBHOOK_SECRET is shorter than 32 characters/);
    expect(err.message).toContain('openssl rand -hex 32');
    expect(err.message).not.toContain(SHORT);
  });

  test('a short per-host secret is refused naming its host, not the secret', () => {
    const err = refusal({ THUMBGATE_WEBHOOK_SECRETS: `ok.example=${LONG_A},hooks.example.com:8443=${SHORT}` });
    expect(err.message).toMatch(
      /^the THUMBGATE_WEBHOOK_SECRETS secret for hooks\.example\.com:8443 is shorter than 32/
    );
    expect(err.message).not.toContain(SHORT);
  });

  test('an entry without "=" is refused by position, without echoing it (it may be a pasted secret)', () => {
    const err = refusal({ THUMBGATE_WEBHOOK_SECRETS: `ok.example=${LONG_A},${LONG_B.replace(/=/g, '')}` });
    expect(err.message).toMatch(/^THUMBGATE_WEBHOOK_SECRETS entry 2 has no "=": write each entry as host=secret/);
    expect(err.message).not.toContain(LONG_B.replace(/=/g, ''));
  });

  test.each(['https://hooks.example.com/done', 'hooks.example.com:70000', 'user@hooks.example.com', ''])(
    'a host that is not a host or host:port (%j) is refused naming it',
    (host) => {
      const err = refusal({ THUMBGATE_WEBHOOK_SECRETS: `${host}=${LONG_A}` });
      expect(err.message).toContain(`THUMBGATE_WEBHOOK_SECRETS entry 1: ${JSON.stringify(host)} is not a host`);
      expect(err.message).not.toContain(LONG_A);
    }
  );

  test('a host listed twice is refused', () => {
    const err = refusal({ THUMBGATE_WEBHOOK_SECRETS: `a.example=${LONG_A} A.EXAMPLE=${LONG_B}` });
    expect(err.message).toBe('THUMBGATE_WEBHOOK_SECRETS lists a.example twice: keep one entry per host');
  });
});

/** Runs a script with `args` and only `env` (plus PATH) until it exits; its exit code and stderr. */
async function run(script: string, args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: projectRoot,
    // Nothing listens on port 1: were the worker to get as far as connecting, it would fail differently.
    env: { PATH: process.env.PATH, TEMPORAL_ADDRESS: '127.0.0.1:1', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // A demo that got past the check would start Temporal and run a batch: stop it, and fail below.
  const guard = setTimeout(() => child.kill('SIGKILL'), 45_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(guard);
  return { code, stderr };
}

describe('start-up refusals', () => {
  test('the generation worker stops with the usage code (2) on a short secret, before connecting', async () => {
    const { code, stderr } = await run('worker/main.ts', [], {
      SEGMIND_API_KEY: 'sg_real_key_0123456789',
      THUMBGATE_WEBHOOK_SECRET: SHORT,
    });
    expect(stderr).toContain('thumbgate worker: THUMBGATE_WEBHOOK_SECRET is shorter than 32 characters');
    expect(stderr).not.toContain(SHORT);
    expect(code).toBe(2);
  }, 60_000);

  test('the demo with --notify-url elsewhere and no secret exits non-zero, naming both variables', async () => {
    const { code, stderr } = await run('scripts/demo.ts', ['--notify-url', 'https://hooks.example.com/done'], {});
    expect(stderr).toContain('--notify-url https://hooks.example.com needs the secret that receiver verifies with');
    expect(stderr).toContain('THUMBGATE_WEBHOOK_SECRETS entry for hooks.example.com');
    expect(code).toBe(1);
  }, 60_000);

  test('the demo with --notify-url elsewhere and a short secret refuses it, as the worker does', async () => {
    const { code, stderr } = await run('scripts/demo.ts', ['--notify-url', 'https://hooks.example.com/done'], {
      THUMBGATE_WEBHOOK_SECRET: SHORT,
    });
    expect(stderr).toContain('THUMBGATE_WEBHOOK_SECRET is shorter than 32 characters');
    expect(stderr).not.toContain(SHORT);
    expect(code).toBe(1);
  }, 60_000);
});
