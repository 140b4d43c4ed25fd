import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createGenerateActivities } from '../activities/generate-candidate.js';
import { SegmindClient } from '../activities/segmind/client.js';
import { FAILURES } from '../shared/failures.js';
import { DEFAULT_RETRY_DELAYS } from '../shared/retry.js';
import type { ThumbnailWorkflowInput } from '../shared/thumbnail-workflow.js';
import type { thumbnailWorkflow } from '../workflows/thumbnail.js';
import { eventually } from './helpers/eventually.js';
import { rejection } from './helpers/rejection.js';
import { decodedHistoryText, scheduledActivities } from './helpers/history.js';
import { TEST_API_KEY, startPipeline, type Pipeline } from './helpers/pipeline.js';
import sharp from 'sharp';

type History = Awaited<ReturnType<Awaited<ReturnType<Pipeline['env']['client']['workflow']['start']>>['fetchHistory']>>;

const FAST_RETRY = { ...DEFAULT_RETRY_DELAYS, initialIntervalMs: 50, maxIntervalMs: 200 };

function brief(
  thumbnailId: string,
  prompt = 'a surprised gamer lit by a neon monitor, bold composition'
): ThumbnailWorkflowInput {
  return {
    batchId: 'it-generation',
    manifestSha256: 'c'.repeat(64),
    thumbnailId,
    phase: 'draft',
    request: { model: 'flux-schnell', prompt, width: 448, height: 256, steps: 4 },
    candidates: 4,
  };
}

async function run(p: Pipeline, input: ThumbnailWorkflowInput) {
  const handle = await p.env.client.workflow.start<typeof thumbnailWorkflow>('thumbnailWorkflow', {
    taskQueue: p.taskQueue,
    workflowId: `${input.batchId}-${input.thumbnailId}-${Date.now()}`,
    args: [input],
  });
  return { result: await handle.result(), history: await handle.fetchHistory() };
}

function events(history: History) {
  return history.events ?? [];
}

describe.each(['v2', 'v1'] as const)(
  'durable candidate generation over Segmind %s (real server, emulator)',
  (transport) => {
    let p: Pipeline;
    beforeAll(async () => {
      p = await startPipeline({ headersTimeoutMs: 1_500, retryDelays: FAST_RETRY, transport });
    });
    afterAll(() => p?.teardown());
    beforeEach(() => p.emulator.reset());

    test('drafts four candidates in parallel with distinct seeds and books each billed call', async () => {
      const { result, history } = await run(p, brief('parallel'));
      expect(result.ok).toBe(true);
      expect(result.candidates).toHaveLength(4);
      expect(new Set(result.candidates.map((c) => c.seed)).size).toBe(4);
      expect(new Set(result.candidates.map((c) => c.image.sha256)).size).toBe(4);
      for (const c of result.candidates) {
        expect([c.width, c.height]).toEqual([448, 256]);
        const meta = await sharp(await p.store.get(c.image)).metadata();
        expect([meta.width, meta.height]).toEqual([448, 256]);
      }
      // All four generations were scheduled before the first of them completed: they ran in parallel.
      const evs = events(history);
      const generations = new Set(
        evs
          .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'requestCandidate')
          .map((e) => String(e.eventId))
      );
      const firstDone = evs.findIndex((e) =>
        generations.has(String(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? ''))
      );
      const scheduledBefore = evs
        .slice(0, firstDone)
        .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'requestCandidate');
      expect(generations.size).toBe(4);
      expect(scheduledBefore).toHaveLength(4);
      expect(result.ledger).toHaveLength(4);
      expect(result.totals.costMicros).toBe(p.emulator.totalBilledMicros());
      expect(result.ledger.map((e) => e.requestId).sort()).toEqual(
        p.emulator
          .billing()
          .map((b) => b.requestId)
          .sort()
      );
    });

    test("drafts on fast-flux-schnell at 2 steps: the ledger is the emulator's bill for that model and step count", async () => {
      const input = brief('fast');
      const { result } = await run(p, {
        ...input,
        request: { ...input.request, model: 'fast-flux-schnell', steps: 2 },
      });
      expect(result.ok).toBe(true);
      expect(result.candidates).toHaveLength(4);
      const billing = p.emulator.billing();
      expect(billing.map((b) => [b.model, b.steps])).toEqual(Array(4).fill(['fast-flux-schnell', 2]));
      expect(result.ledger.map((e) => [e.model, e.pricingMode, e.basis])).toEqual(
        Array(4).fill(['fast-flux-schnell', 'gpu-second', 'provider'])
      );
      expect(result.totals.costMicros).toBe(p.emulator.totalBilledMicros());
    });

    test('500, 429 (Retry-After), hang and truncated bodies are retried to success; the ledger matches billing exactly', async () => {
      p.emulator.faults.configure({
        retryAfterSeconds: 1,
        script: [{ kind: '500' }, { kind: '429' }, { kind: 'truncate' }, { kind: 'hang' }, { kind: '503' }],
      });
      const { result, history } = await run(p, brief('faults'));
      expect(result.ok).toBe(true);
      expect(result.candidates).toHaveLength(4);
      expect(result.failures).toEqual([]);
      expect(p.emulator.requests().filter((r) => r.outcome === 'truncated')).toHaveLength(1);
      const unusable = result.ledger.filter((e) => e.outcome === 'unusable');
      if (transport === 'v1') {
        // The truncated response was billed by the provider, and v1 can only buy the image again.
        expect(unusable).toHaveLength(1);
        expect(result.ledger).toHaveLength(5);
        expect(result.totals.unusableCostMicros).toBe(unusable[0]!.costMicros);
      } else {
        // v2 downloads the same job's result again (free): four jobs, four charges, all usable.
        expect(unusable).toEqual([]);
        expect(result.ledger).toHaveLength(4);
        expect(result.ledger.every((e) => e.basis === 'provider')).toBe(true);
      }
      expect(result.totals.costMicros).toBe(p.emulator.totalBilledMicros());
      // The 429's Retry-After became the workflow's durable timer before the next attempt.
      const timers = events(history)
        .map((e) => e.timerStartedEventAttributes?.startToFireTimeout)
        .filter((t) => t !== undefined && t !== null);
      expect(timers.some((t) => Number(t.seconds ?? 0) === 1)).toBe(true);
      expect(result.candidates.some((c) => c.attempt > 1)).toBe(true);
    });

    test('a rejected key fails at once, without retries, with a clear message that does not contain the key', async () => {
      const wrongKey = 'wrong-key-that-must-not-leak';
      const bad = await startPipeline({ apiKey: wrongKey, scoring: false, retryDelays: FAST_RETRY, transport });
      try {
        const { result, history } = await run(bad, brief('unauthorized'));
        expect(result).toMatchObject({ ok: false, type: 'ProviderKeyRejected' });
        expect(result.candidates).toEqual([]);
        expect(result.failures).toHaveLength(4);
        for (const f of result.failures) {
          expect(f.type).toBe('ProviderKeyRejected');
          expect(f.attempts).toBe(1);
          expect(f.message).toMatch(/401/);
        }
        expect(FAILURES.ProviderKeyRejected.fix).toMatch(/SEGMIND_API_KEY/);
        expect(scheduledActivities(history).filter((n) => n === 'requestCandidate')).toHaveLength(4);
        expect(decodedHistoryText(history)).toContain('401');
        expect(decodedHistoryText(history)).not.toContain(wrongKey);
        expect(bad.emulator.billing()).toEqual([]);
      } finally {
        await bad.teardown();
      }
    });

    test('the API key never appears in workflow history', async () => {
      const { history } = await run(p, brief('secret'));
      const text = decodedHistoryText(history);
      expect(text).toContain('a surprised gamer'); // the search reads decoded payloads
      expect(text).not.toContain(TEST_API_KEY);
    });

    test('a retry after a crash never pays again: v1 reuses the stored image, v2 collects the job it submitted', async () => {
      const params = {
        model: 'flux-schnell' as const,
        prompt: 'a chef flipping a pancake',
        seed: 42,
        width: 448,
        height: 256,
      };
      const slot = { thumbnailId: 't1', phase: 'draft' as const, candidateIndex: 0, params, attempt: 1 };
      const provider = new SegmindClient({ apiKey: TEST_API_KEY, baseUrl: p.emulator.url });
      const mock = new MockActivityEnvironment();
      const env = { run: <A, R>(fn: (a: A) => Promise<R>, a: A): Promise<R> => mock.run<[A], R, typeof fn>(fn, a) };

      const v1 = createGenerateActivities({ store: p.store, provider, transport: 'v1' });
      const first = await env.run(v1.requestCandidate, { ...slot, batchId: 'it-idempotent-v1' });
      const second = await env.run(v1.requestCandidate, { ...slot, batchId: 'it-idempotent-v1', attempt: 2 });
      expect(first.kind === 'stored' && first.candidate.reused).toBe(false);
      expect(second.kind === 'stored' && second.candidate).toMatchObject({
        reused: true,
        image: first.kind === 'stored' ? first.candidate.image : undefined,
      });
      expect(p.emulator.billing()).toHaveLength(1);

      const v2 = createGenerateActivities({ store: p.store, provider, transport: 'v2', pollIntervalMs: 50 });
      const input = { ...slot, batchId: 'it-idempotent-v2' };
      const accepted = await env.run(v2.requestCandidate, input);
      // The worker "died" before reporting: the next attempt finds the submission instead of buying again.
      const again = await env.run(v2.requestCandidate, { ...input, attempt: 2 });
      expect(accepted.kind).toBe('accepted');
      expect(again).toEqual(accepted);
      expect(p.emulator.billing()).toHaveLength(2);
      const requestId = accepted.kind === 'accepted' ? accepted.requestId : '';
      let collected = await env.run(v2.collectCandidate, { ...input, requestId });
      while (collected.kind === 'pending') collected = await env.run(v2.collectCandidate, { ...input, requestId });
      expect(collected.candidate).toMatchObject({ reused: false, billed: { requestId, basis: 'provider' } });
      // Collecting again, or asking again, returns what is stored.
      expect(await env.run(v2.collectCandidate, { ...input, requestId })).toMatchObject({
        kind: 'stored',
        candidate: { reused: true },
      });
      expect(await env.run(v2.requestCandidate, { ...input, attempt: 3 })).toMatchObject({ kind: 'stored' });
      expect(p.emulator.billing()).toHaveLength(2);
    });

    test('cancelling the workflow aborts provider calls in flight; nothing is billed', async () => {
      const slow = await startPipeline({
        headersTimeoutMs: 600_000,
        scoring: false,
        retryDelays: FAST_RETRY,
        transport,
      });
      try {
        slow.emulator.faults.configure({ script: [{ kind: 'hang', times: 4 }] });
        const handle = await slow.env.client.workflow.start<typeof thumbnailWorkflow>('thumbnailWorkflow', {
          taskQueue: slow.taskQueue,
          workflowId: `it-cancel-${Date.now()}`,
          args: [brief('cancelled')],
        });
        // Wait until all four calls are hanging at the provider.
        await eventually(
          'four calls hanging at the provider',
          () => slow.emulator.requests().filter((r) => r.outcome === 'hang').length >= 4
        );
        await handle.cancel();
        const failure = await rejection(handle.result(), WorkflowFailedError);
        expect(failure.cause).toBeInstanceOf(CancelledFailure);
        // The hanging HTTP requests were aborted by the cancelled activities (the client's own
        // header timeout is ten minutes, far beyond this test's limit).
        await eventually(
          'the four hanging requests to be closed by the client',
          () =>
            slow.emulator.requests().filter((r) => r.outcome === 'hang' && r.clientClosedAt !== undefined).length >= 4
        );
        expect(slow.emulator.billing()).toEqual([]);
      } finally {
        await slow.teardown();
      }
    });
  }
);
