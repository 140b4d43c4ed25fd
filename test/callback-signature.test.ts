/**
 * Completion callbacks signed for one receiver (scheme v2, node/callback-signature.ts): the notify
 * activity POSTs over real HTTP to local receivers, which verify with their own URL; a copy replayed
 * to another receiver, a body naming another batch and a changed URL are refused, and so is a
 * callback signed with another receiver's secret. The plain-Node steps in docs/operations.md agree.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { createNotifyActivities } from '../activities/notify.js';
import { CallbackKeyring, callbackHeaders, callbackKeyId, verifyCallback } from '../node/callback-signature.js';
import { projectRoot } from '../node/paths.js';
import { withFix } from '../shared/failures.js';
import { callbackKeysFromEnv } from '../worker/callback-secrets.js';
import { completionSummary } from './helpers/completion-summary.js';
import { applicationFailure } from './helpers/rejection.js';
import { replay, startReceiver, type CallbackReceiver } from './helpers/callback-receiver.js';

const SECRET_A = 'receiver-a-secret-0123456789abcdef';
const SECRET_B = 'receiver-b-secret-0123456789abcdef';

const summary = completionSummary;

/** The notify activity, allowed to reach the local receivers (THUMBGATE_CALLBACK_HOSTS in production). */
const notifier = (keys: CallbackKeyring) => createNotifyActivities({ keys, callbackHosts: ['127.0.0.1'] });

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** A callback as a receiver at `url` would get it, signed by the sender's code for `signedUrl`/`signedBatchId`. */
function signed(
  secret: string,
  o: { signedUrl: string; url?: string; signedBatchId: string; bodyBatchId?: string; timestamp?: number }
) {
  const body = JSON.stringify(summary(o.bodyBatchId ?? o.signedBatchId));
  const timestamp = o.timestamp ?? nowSeconds();
  const headers = callbackHeaders(secret, { url: o.signedUrl, batchId: o.signedBatchId, timestamp, body });
  return { url: o.url ?? o.signedUrl, headers, body };
}

describe('a callback verifies only at the receiver it was sent to', () => {
  let a: CallbackReceiver;
  let b: CallbackReceiver;
  beforeEach(async () => {
    [a, b] = await Promise.all([startReceiver(), startReceiver({ path: '/hooks/thumbgate' })]);
  });
  afterEach(() => Promise.all([a.close(), b.close()]));

  test('one secret for both receivers: the callback verifies at A, its copy replayed to B is refused', async () => {
    const { notifyCompletion } = notifier(callbackKeysFromEnv({ THUMBGATE_WEBHOOK_SECRET: SECRET_A }));
    expect(await notifyCompletion({ url: a.url, summary: summary('batch-1') })).toBe(200);
    expect(a.received).toHaveLength(1);
    expect(a.verifies(a.received[0]!, SECRET_A)).toBe(true);

    await replay(a.received[0]!, b.url);
    expect(b.received).toHaveLength(1);
    expect(b.received[0]!.body).toBe(a.received[0]!.body);
    expect(b.verifies(b.received[0]!, SECRET_A)).toBe(false);
  });

  test('a secret per receiver: each verifies its own, and neither can sign for the other', async () => {
    const keys = callbackKeysFromEnv({
      THUMBGATE_WEBHOOK_SECRETS: `${new URL(a.url).host}=${SECRET_A}, ${new URL(b.url).host}=${SECRET_B}`,
    });
    const { notifyCompletion } = notifier(keys);
    await notifyCompletion({ url: a.url, summary: summary('batch-a') });
    await notifyCompletion({ url: b.url, summary: summary('batch-b') });
    expect(a.verifies(a.received[0]!, SECRET_A)).toBe(true);
    expect(a.verifies(a.received[0]!, SECRET_B)).toBe(false);
    expect(b.verifies(b.received[0]!, SECRET_B)).toBe(true);
    expect(b.verifies(b.received[0]!, SECRET_A)).toBe(false);
    // Receiver A holds SECRET_A; a callback it forges for B, with B's URL, fails at B.
    const forged = signed(SECRET_A, { signedUrl: b.url, signedBatchId: 'batch-b' });
    expect(verifyCallback(SECRET_B, forged)).toBe(false);
  });

  test('a host with no secret gets nothing: CallbackSecretMissing names both variables', async () => {
    const keys = callbackKeysFromEnv({ THUMBGATE_WEBHOOK_SECRETS: `${new URL(a.url).host}=${SECRET_A}` });
    const { notifyCompletion } = notifier(keys);
    const failure = await applicationFailure(notifyCompletion({ url: b.url, summary: summary('batch-b') }));
    expect(failure.type).toBe('CallbackSecretMissing');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(`no callback secret for ${new URL(b.url).host}`);
    const shown = withFix(failure.type, failure.message);
    expect(shown).toContain('THUMBGATE_WEBHOOK_SECRETS');
    expect(shown).toContain('THUMBGATE_WEBHOOK_SECRET ');
    expect(b.received).toHaveLength(0);
  });
});

describe('what the signature covers', () => {
  const url = 'https://hooks.example.com/thumbgate/done';

  test('the URL: another path, port, host or scheme is refused; the same URL written differently is not', () => {
    const callback = signed(SECRET_A, { signedUrl: url, signedBatchId: 'b1' });
    expect(verifyCallback(SECRET_A, callback)).toBe(true);
    for (const other of [
      'https://hooks.example.com/thumbgate/done2',
      'https://hooks.example.com:8443/thumbgate/done',
      'https://hooks.example.org/thumbgate/done',
      'http://hooks.example.com/thumbgate/done',
      'https://hooks.example.com/thumbgate/done?x=1',
    ]) {
      expect(verifyCallback(SECRET_A, { ...callback, url: other })).toBe(false);
    }
    expect(verifyCallback(SECRET_A, { ...callback, url: 'HTTPS://Hooks.Example.com:443/thumbgate/done#top' })).toBe(
      true
    );
  });

  test("a body whose batchId differs from the signed one is refused, even under the receiver's secret", () => {
    expect(verifyCallback(SECRET_A, signed(SECRET_A, { signedUrl: url, signedBatchId: 'b1' }))).toBe(true);
    expect(verifyCallback(SECRET_A, signed(SECRET_A, { signedUrl: url, signedBatchId: 'b1', bodyBatchId: 'b2' }))).toBe(
      false
    );
  });

  test('the timestamp and the key: a stale callback, or one signed with a key not held, is refused', () => {
    const stale = signed(SECRET_A, { signedUrl: url, signedBatchId: 'b1', timestamp: nowSeconds() - 301 });
    expect(verifyCallback(SECRET_A, stale)).toBe(false);
    const callback = signed(SECRET_A, { signedUrl: url, signedBatchId: 'b1' });
    expect(verifyCallback(SECRET_B, callback)).toBe(false);
    // During a rotation the receiver holds both: the key id picks the right one.
    expect(verifyCallback([SECRET_B, SECRET_A], callback)).toBe(true);
    // Relabelling the key id to another held secret's does not help: the signature is still A's.
    const relabelled = { ...callback, headers: { ...callback.headers, 'x-thumbgate-key-id': callbackKeyId(SECRET_B) } };
    expect(verifyCallback([SECRET_A, SECRET_B], relabelled)).toBe(false);
  });

  test('the plain-Node steps in docs/operations.md accept and refuse the same callbacks', async () => {
    const doc = await readFile(join(projectRoot, 'docs', 'operations.md'), 'utf8');
    const code = /```js\n([\s\S]*?function verifyThumbgate[\s\S]*?)```/.exec(doc)?.[1];
    expect(code).toBeDefined();
    // The snippet as written, minus its import: run in a fresh context with what it imports.
    const docVerify = runInNewContext(`${code!.replace(/^import .*$/m, '')}\nverifyThumbgate`, {
      createHmac,
      timingSafeEqual,
      Buffer,
      URL,
    }) as (secrets: string[], myUrl: string, headers: Record<string, string>, rawBody: string) => boolean;
    const cases = [
      signed(SECRET_A, { signedUrl: url, signedBatchId: 'b1' }),
      signed(SECRET_A, { signedUrl: url, url: 'https://other.example.com/x', signedBatchId: 'b1' }),
      signed(SECRET_A, { signedUrl: url, signedBatchId: 'b1', bodyBatchId: 'b2' }),
      signed(SECRET_B, { signedUrl: url, signedBatchId: 'b1' }),
    ];
    expect(cases.map((c) => docVerify([SECRET_A], c.url, c.headers, c.body))).toEqual([true, false, false, false]);
    expect(cases.map((c) => verifyCallback([SECRET_A], c))).toEqual([true, false, false, false]);
  });
});

describe('which secret signs for a destination', () => {
  const keyring = new CallbackKeyring(
    [
      { hostname: 'hooks.example.com', secret: 'host' },
      { hostname: 'hooks.example.com', port: '8443', secret: 'host-8443' },
      { hostname: 'sched.internal', port: '443', secret: 'sched-443' },
    ],
    'fallback'
  );

  test.each([
    ['https://hooks.example.com/x', 'host'],
    ['https://hooks.example.com:8443/x', 'host-8443'],
    ['http://hooks.example.com:9000/x', 'host'],
    ['https://sched.internal/x', 'sched-443'],
    ['http://sched.internal/x', 'fallback'],
    ['https://elsewhere.example.com/x', 'fallback'],
  ])('%s is signed with the %s secret', (url, secret) => {
    expect(keyring.secretFor(url)).toBe(secret);
  });

  test('without a fallback, a host not listed has no secret', () => {
    expect(new CallbackKeyring([{ hostname: 'a.example', secret: 's' }]).secretFor('https://b.example/')).toBe(
      undefined
    );
  });
});
