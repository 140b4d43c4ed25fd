/**
 * The completion callback goes only where callbacks belong (activities/notify.ts over
 * node/outbound.ts): a receiver at a loopback or private address only when THUMBGATE_CALLBACK_HOSTS
 * lists it, and what the batch records reads the same whether a port is closed or answers 404 — a
 * notify URL is no port scanner. Real HTTP against local receivers.
 */
import { lookup } from 'node:dns/promises';
import { createNotifyActivities } from '../activities/notify.js';
import { undeliveredOutcome } from '../shared/notification.js';
import { callbackKeysFromEnv } from '../worker/callback-secrets.js';
import { completionSummary } from './helpers/completion-summary.js';
import { applicationFailure } from './helpers/rejection.js';
import { startReceiver, type CallbackReceiver } from './helpers/callback-receiver.js';

const keys = callbackKeysFromEnv({ THUMBGATE_WEBHOOK_SECRET: 'notify-outbound-test-secret-32-chars-long' });

const summary = completionSummary('b-1');

/** A URL on a port nothing listens on: a receiver on it, closed again. */
async function closedPortUrl(): Promise<string> {
  const gone = await startReceiver();
  await gone.close();
  return gone.url;
}

/** What the batch records for a failed callback (workflows/notify.ts). */
async function recorded(url: string, call: Promise<unknown>) {
  const failure = await applicationFailure(call);
  return { failure, outcome: undeliveredOutcome(url, { type: failure.type, message: failure.message }) };
}

const open: CallbackReceiver[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});
const receiver = async (status: number) => {
  const r = await startReceiver({ status });
  open.push(r);
  return r;
};

// The worker's log gets what happened (console.warn outside an activity); the test keeps it to read.
const warn = console.warn;
const logged: string[] = [];
beforeAll(() => {
  console.warn = (...args: unknown[]) => void logged.push(args.join(' '));
});
afterAll(() => {
  console.warn = warn;
});

/** The one thing a batch records for any callback not delivered. */
const NOT_DELIVERED = /^callback not delivered: the destination is not allowed or did not accept it/;

describe('a loopback receiver THUMBGATE_CALLBACK_HOSTS does not list', () => {
  const { notifyCompletion } = createNotifyActivities({ keys, callbackHosts: [] });

  test('is refused before anything is sent, and a closed port reads exactly like one answering 404', async () => {
    const answering = await receiver(404);
    const closed = await closedPortUrl();
    const a = await recorded(answering.url, notifyCompletion({ url: answering.url, summary }));
    const b = await recorded(closed, notifyCompletion({ url: closed, summary }));
    expect(answering.received).toEqual([]);
    for (const { failure, outcome } of [a, b]) {
      expect([failure.type, failure.nonRetryable]).toEqual(['CallbackAddressRefused', true]);
      expect(outcome.outcome).toBe('refused');
    }
    expect(a.failure.message).toBe(b.failure.message);
    expect(a.outcome.error).toBe(b.outcome.error);
    expect(a.outcome.error).toMatch(NOT_DELIVERED);
    expect(a.outcome.error).toMatch(/THUMBGATE_CALLBACK_HOSTS/);
    expect(a.outcome.error).not.toMatch(/loopback|127\.0\.0\.1/);
    expect(logged.join('\n')).toMatch(/127\.0\.0\.1 is a loopback address/);
  });

  test('a name that resolves to a loopback address is refused at connect time, the why in the log only', async () => {
    const answering = await receiver(200);
    const { notifyCompletion: viaName } = createNotifyActivities({
      keys,
      callbackHosts: [],
      resolve: () => Promise.resolve(['127.0.0.1']),
    });
    const url = answering.url.replace('127.0.0.1', 'hooks.example.test');
    const { failure, outcome } = await recorded(url, viaName({ url, summary }));
    expect(failure.type).toBe('CallbackUnreachable');
    expect(outcome).toMatchObject({ outcome: 'failed' });
    expect(failure.message).toMatch(NOT_DELIVERED);
    expect(failure.message).not.toMatch(/loopback|resolves|127\.0\.0\.1/);
    expect(logged.join('\n')).toMatch(/hooks\.example\.test resolves to a loopback address/);
    expect(answering.received).toEqual([]);
  });

  test.each([
    ['http://169.254.169.254/latest/meta-data/', 'link-local'],
    ['http://[::ffff:10.0.0.1]:8080/', 'private'],
    ['http://100.64.0.7/', 'shared \\(CGNAT\\)'],
  ])('%s is refused (%s)', async (url, range) => {
    const failure = await applicationFailure(notifyCompletion({ url, summary }));
    expect(failure.type).toBe('CallbackAddressRefused');
    expect(failure.message).toMatch(NOT_DELIVERED);
    expect(logged.join('\n')).toMatch(new RegExp(`is a ${range} address`));
  });
});

describe('a receiver THUMBGATE_CALLBACK_HOSTS lists', () => {
  test('is delivered to; host:port entries allow that port only', async () => {
    const ok = await receiver(200);
    const port = Number(new URL(ok.url).port);
    const { notifyCompletion } = createNotifyActivities({ keys, callbackHosts: [`127.0.0.1:${port}`] });
    expect(await notifyCompletion({ url: ok.url, summary })).toBe(200);
    expect(ok.received).toHaveLength(1);
    const other = await receiver(200);
    const refused = await applicationFailure(notifyCompletion({ url: other.url, summary }));
    expect(refused.type).toBe('CallbackAddressRefused');
    expect(other.received).toEqual([]);
  });

  test('a closed port and an HTTP 404 are recorded in the same words (retryable or not, internally)', async () => {
    const { notifyCompletion } = createNotifyActivities({ keys, callbackHosts: ['127.0.0.1'] });
    const answering = await receiver(404);
    const a = await recorded(answering.url, notifyCompletion({ url: answering.url, summary }));
    expect(answering.received).toHaveLength(1);
    await answering.close();
    // The same URL, nothing listening there any more.
    const b = await recorded(answering.url, notifyCompletion({ url: answering.url, summary }));
    expect([a.failure.type, b.failure.type]).toEqual(['CallbackRejected', 'CallbackUnreachable']);
    expect([a.failure.nonRetryable, b.failure.nonRetryable]).toEqual([true, false]);
    expect(a.failure.message).toBe(b.failure.message);
    expect(a.outcome).toEqual(b.outcome);
    expect(a.outcome.outcome).toBe('failed');
    // (The port is in the origin: look past it.)
    expect(a.outcome.error).toMatch(NOT_DELIVERED);
    expect(a.outcome.error).not.toMatch(/404|ECONNREFUSED|HTTP \d/);
  });

  test('a name resolving to loopback, a name that does not resolve, a closed port and an HTTP 404 read the same', async () => {
    const answering = await receiver(404);
    const closed = await closedPortUrl();
    // 127.0.0.1 is listed; the name inside.example.test (resolving to it) is not, so it is refused
    // at connect time. Every other name goes to the system's resolver (`.invalid` never resolves).
    const { notifyCompletion } = createNotifyActivities({
      keys,
      callbackHosts: ['127.0.0.1'],
      resolve: async (host) =>
        host === 'inside.example.test'
          ? ['127.0.0.1']
          : (await lookup(host, { all: true, verbatim: true })).map((a) => a.address),
    });
    const urls = [
      answering.url.replace('127.0.0.1', 'inside.example.test'),
      'http://no-such-host.invalid/hook',
      closed,
      answering.url,
    ];
    const seen = [];
    for (const url of urls) seen.push(await recorded(url, notifyCompletion({ url, summary })));
    const [inside, missing] = seen;
    // The two names differ in nothing a batch author can see: type, retry, words.
    expect([inside!.failure.type, inside!.failure.nonRetryable]).toEqual([
      missing!.failure.type,
      missing!.failure.nonRetryable,
    ]);
    for (const { failure, outcome } of seen) {
      expect(outcome.outcome).toBe('failed');
      expect(failure.message).toMatch(NOT_DELIVERED);
      expect(outcome.error).toBe(seen[0]!.outcome.error);
    }
    expect(seen[0]!.outcome.error).not.toMatch(/loopback|resolve|ENOTFOUND|ECONNREFUSED|404|127\.0\.0\.1/);
    expect(answering.received).toHaveLength(1);
  });
});

test('a failure the activity did not describe (a timeout, say) is "failed", without its detail', () => {
  const outcome = undeliveredOutcome('http://x.example/hook');
  expect(outcome.outcome).toBe('failed');
  expect(outcome.error).toMatch(/^http:\/\/x\.example did not accept the callback/);
});
