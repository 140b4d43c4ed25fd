/**
 * The batch's rules without a server: the bottom-tenth selection the workflow runs, re-roll
 * decisions, failure bookkeeping, stops, phases and carried state.
 */
import { ApplicationFailure } from '@temporalio/common';
import { resolveBatchOptions } from '../shared/batch-options.js';
import { validateBatchInput, type BatchWorkflowInput } from '../shared/batch-workflow.js';
import type { Phase } from '../shared/generation.js';
import { emptyTotals } from '../shared/ledger.js';
import type { ThumbnailWorkflowResult } from '../shared/thumbnail-workflow.js';
import { BatchState, insertLowest } from '../workflows/batch-state.js';
import { batchCost, batchProgress, batchResult } from '../workflows/batch-views.js';
import { scoredResult } from '../bench/scored-result.js';

function input(thumbnails: number, overrides: Partial<BatchWorkflowInput> = {}): BatchWorkflowInput {
  return {
    batchId: 'unit',
    manifest: { sha256: 'a'.repeat(64), bytes: 1, contentType: 'application/x-ndjson' },
    thumbnails,
    options: resolveBatchOptions({ rerollFraction: 0.1 }),
    ...overrides,
  };
}

const scored = scoredResult;

function failed(id: string, type: string, phase: Phase = 'draft'): ThumbnailWorkflowResult {
  return {
    ok: false,
    type,
    reason: `${type}: it went wrong`,
    batchId: 'unit',
    manifestSha256: 'a'.repeat(64),
    thumbnailId: id,
    phase,
    candidates: [],
    failures: [{ candidateIndex: 0, type, message: 'it went wrong', attempts: 1 }],
    ledger: [],
    totals: emptyTotals(),
  };
}

/** Drafts `scores` in one run and returns the re-roll queue the state picks. */
function bottomOf(scores: Record<string, number>, fraction: number): string[] {
  const ids = Object.keys(scores);
  const state = new BatchState(input(ids.length, { options: resolveBatchOptions({ rerollFraction: fraction }) }));
  const work = state.work();
  for (const id of ids) state.record(scored(id, scores[id]!));
  expect(state.completeWork(work)).toBe(false);
  const next = state.work();
  return next.phase === 'rerolling' ? next.queue.map((q) => q.id) : [];
}

describe('the bottom tenth', () => {
  const scores = { c: 0.3, a: 0.9, e: 0.1, b: 0.3, d: 0.5 };

  test('is the ceil(fraction × drafted) lowest best-draft scores, worst first', () => {
    expect(bottomOf(scores, 0.2)).toEqual(['e']);
    expect(bottomOf(scores, 0.4)).toEqual(['e', 'b']);
    expect(bottomOf(scores, 0)).toEqual([]);
    expect(bottomOf(scores, 1)).toEqual(['e', 'b', 'c', 'd', 'a']);
  });

  test('ties go to the ascending id, whatever the order thumbnails finish in', () => {
    const tied = { 'thumb-10': 0.2, 'thumb-02': 0.2, 'thumb-07': 0.2, 'thumb-01': 0.8 };
    const reversed = Object.fromEntries(Object.entries(tied).reverse());
    expect(bottomOf(tied, 0.5)).toEqual(['thumb-02', 'thumb-07']);
    expect(bottomOf(reversed, 0.5)).toEqual(['thumb-02', 'thumb-07']);
  });

  test('a NaN score (failed scoring) counts as the lowest', () => {
    expect(bottomOf({ ...scores, z: Number.NaN }, 0.3)).toEqual(['z', 'e']);
  });

  test('the bottom list kept by insertion is the append-and-sort list, ties by id and NaN lowest', () => {
    // Deterministic pseudo-random scores with many ties and some NaN, in a scrambled finishing order.
    let seed = 7;
    const next = (): number => (seed = (seed * 48_271) % 2_147_483_647);
    const items = Array.from({ length: 3_000 }, (_, i) => {
      const r = next() % 50;
      return { id: `t${String(next() % 100_000).padStart(5, '0')}-${i}`, score: r === 0 ? Number.NaN : r / 10 };
    });
    for (const limit of [0, 1, 7, 300, 5_000]) {
      const kept: typeof items = [];
      for (const item of items) insertLowest(kept, item, limit);
      const key = (x: number): number => (Number.isNaN(x) ? -Infinity : x);
      const expected = [...items]
        .sort((a, b) => key(a.score) - key(b.score) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .slice(0, Math.max(0, limit));
      expect(kept).toEqual(expected);
    }
  });

  test('counts only thumbnails that have a draft: failed drafts are neither re-rolled nor counted', () => {
    const state = new BatchState(input(10));
    const work = state.work();
    for (let i = 0; i < 9; i++) state.record(scored(`t${i}`, i / 10));
    state.record(failed('t9', 'ProviderInvalidRequest'));
    state.completeWork(work);
    const next = state.work();
    expect(next.phase === 'rerolling' && next.queue).toEqual([{ id: 't0', score: 0 }]);
    expect(batchProgress(state.view(), 0)).toMatchObject({
      drafted: 9,
      failed: 1,
      rerollTarget: 1,
      stage: 'rerolling',
    });
  });
});

describe('runs and carried state', () => {
  test('drafting is split into runs of thumbnailsPerRun; the carry resumes where the run stopped', () => {
    const first = new BatchState(input(5, { thumbnailsPerRun: 2 }));
    const work = first.work();
    expect(work).toEqual({ phase: 'drafting', from: 0, to: 2 });
    first.record(scored('a', 0.5));
    first.record(scored('b', 0.4));
    expect(first.completeWork(work)).toBe(true);

    const next = first.nextRun();
    expect(next.carry).toMatchObject({ nextBrief: 2, drafted: 2, runs: 2, phase: 'drafting' });
    const second = new BatchState(next);
    expect(second.work()).toEqual({ phase: 'drafting', from: 2, to: 4 });
    expect(batchCost(second.view()).totals.costMicros).toBe(16_000);
  });

  test('re-rolls are split into runs too and decide draft against re-roll', () => {
    const state = new BatchState(input(20, { thumbnailsPerRun: 20 }));
    const drafting = state.work();
    for (let i = 0; i < 20; i++) state.record(scored(`t${i}`, 0.1 + i / 100));
    state.completeWork(drafting);
    const rerolling = state.work();
    expect(rerolling.phase === 'rerolling' && rerolling.queue.map((q) => q.id)).toEqual(['t0', 't1']);
    state.record(scored('t0', 0.9, 'reroll'), 0.1);
    state.record(failed('t1', 'ProviderInvalidRequest', 'reroll'), 0.11);
    expect(state.completeWork(rerolling)).toBe(false);
    const result = batchResult(state.view(), '/out');
    expect(result.rerolls.map((r) => [r.id, r.winner])).toEqual([
      ['t0', 'reroll'],
      ['t1', 'draft'],
    ]);
    expect(result.rerolls[1]!.reason).toMatch(/re-roll failed .*ProviderInvalidRequest.*the draft stands/);
    // A failed re-roll leaves the draft: the thumbnail is not a failure.
    expect(result).toMatchObject({ succeeded: 20, rerolled: 1, rerollWins: 1, failed: [] });
  });
});

describe('failures that stop the batch', () => {
  test('come from the failure table, with the cause and the fix', () => {
    const state = new BatchState(input(3));
    state.record(failed('a', 'ProviderInvalidRequest'));
    expect(state.stopped).toBeUndefined();
    state.record(failed('b', 'ProviderKeyRejected'));
    const stop = state.stopped;
    expect(stop).toBeInstanceOf(ApplicationFailure);
    expect(stop).toMatchObject({ type: 'ProviderKeyRejected', nonRetryable: true });
    expect(stop!.message).toMatch(/^batch stopped: b: .*SEGMIND_API_KEY.*same id/);
    expect(batchProgress(state.view(), 0).stage).toBe('failed');
    // The first stop is the one reported; the stage stays failed.
    state.record(failed('c', 'ProviderOutOfCredits'));
    state.setStage('writing-outputs');
    expect(state.stopped).toBe(stop);
    expect(batchProgress(state.view(), 0).stage).toBe('failed');
  });

  test('a candidate failure that stops the batch counts even when the thumbnail itself succeeded', () => {
    const state = new BatchState(input(1));
    const result = scored('a', 0.5);
    result.failures.push({ candidateIndex: 1, type: 'ProviderOutOfCredits', message: '406', attempts: 1 });
    state.record(result);
    expect(state.stopped?.type).toBe('ProviderOutOfCredits');
    expect(batchProgress(state.view(), 0).drafted).toBe(1);
  });

  test('a child workflow that failed as a workflow is booked like any failed result', () => {
    const state = new BatchState(input(1));
    state.childFailed('a', 'draft', 'InvalidBatchInput', 'candidates: must be 1 to 8');
    expect(batchResult(state.view(), '').failed).toEqual([
      { id: 'a', phase: 'draft', type: 'InvalidBatchInput', reason: 'candidates: must be 1 to 8' },
    ]);
  });
});

describe('validateBatchInput', () => {
  test.each([
    [{ batchId: '../x' }, /^batchId must be .*, got "\.\.\/x"$/],
    [{ thumbnails: 0 }, /^thumbnails must be an integer from 1 to 20000 \(split larger manifests\), got 0$/],
    [{ thumbnailsPerRun: 1.5 }, /^thumbnailsPerRun must be a positive integer, got 1.5$/],
    [
      { options: resolveBatchOptions({ candidates: 99 }) },
      /^options.candidates: candidates must be an integer from 1 to 8/,
    ],
  ] as const)('%j is refused, naming the field', (overrides, message) => {
    let thrown: unknown;
    try {
      validateBatchInput(input(3, overrides));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ type: 'InvalidBatchInput', nonRetryable: true });
    expect((thrown as Error).message).toMatch(message);
  });
});

describe('the waste breaker', () => {
  function unusable(id: string, calls: number, usable = false): ThumbnailWorkflowResult {
    const result = usable ? scored(id, 0.5) : failed(id, 'ProviderBadImage');
    for (let attempt = 1; attempt <= calls; attempt++) {
      const entry = {
        requestId: `${id}-${attempt}`,
        thumbnailId: id,
        phase: 'draft' as const,
        candidateIndex: 0,
        model: 'flux-schnell' as const,
        pricingMode: 'gpu-second' as const,
        costMicros: 8_000,
        basis: 'provider' as const,
        attempt,
        outcome: 'unusable' as const,
      };
      result.ledger.push(entry);
      result.totals.calls += 1;
      result.totals.costMicros += 8_000;
      result.totals.unusableCalls += 1;
      result.totals.unusableCostMicros += 8_000;
    }
    return result;
  }

  test('stops after maxConsecutiveUnusable paid-but-unusable calls in a row, across thumbnails', () => {
    const state = new BatchState(input(10, { options: resolveBatchOptions({ maxConsecutiveUnusable: 6 }) }));
    state.record(unusable('a', 5));
    expect(state.stopped).toBeUndefined();
    state.record(unusable('b', 1));
    expect(state.stopped).toMatchObject({ type: 'WasteLimitReached' });
    expect(state.stopped!.message).toMatch(/6 paid calls in a row gave no usable image \(last: b\)/);
  });

  test('a usable image resets the run of unusable calls', () => {
    const state = new BatchState(input(10, { options: resolveBatchOptions({ maxConsecutiveUnusable: 6 }) }));
    state.record(unusable('a', 5));
    const ok = scored('b', 0.5);
    ok.ledger.push({ ...unusable('x', 1).ledger[0]!, thumbnailId: 'b', outcome: 'image', requestId: 'b-ok' });
    state.record(ok);
    state.record(unusable('c', 5));
    expect(state.stopped).toBeUndefined();
  });

  test('stops when unusable spend passes the share after 20 calls, not before', () => {
    const options = resolveBatchOptions({ maxUnusableShare: 0.15, maxConsecutiveUnusable: 100 });
    const state = new BatchState(input(40, { options }));
    for (let i = 0; i < 15; i++) state.record(scored(`ok${i}`, 0.5));
    state.record(unusable('u1', 4));
    expect(state.stopped).toBeUndefined(); // 19 calls: too few to judge
    state.record(unusable('u2', 1));
    expect(state.stopped).toMatchObject({ type: 'WasteLimitReached' });
    expect(state.stopped!.message).toMatch(/spent on unusable images \(over 15%\)/);
  });
});

describe('carried state is bounded by bytes', () => {
  test('the largest batch with the longest ids and reasons carries well under the 2 MB payload limit', () => {
    const id = (i: number) => `${'x'.repeat(58)}-${String(i).padStart(5, '0')}`; // 64 characters
    const state = new BatchState(input(20_000, { thumbnailsPerRun: 20_000 }));
    const huge = 'provider said: ' + 'e'.repeat(50_000); // a 50 KB provider error
    for (let i = 0; i < 20_000; i++) {
      if (i % 10 === 0) {
        const f = failed(id(i), 'ProviderInvalidRequest');
        state.record({ ...f, reason: huge } as ThumbnailWorkflowResult);
      } else {
        state.record(scored(id(i), (i % 997) / 997));
      }
    }
    const bytes = Buffer.byteLength(JSON.stringify(state.nextRun()));
    expect(bytes).toBeLessThan(1_000_000);
    expect(batchResult(state.view(), '').failed[0]!.reason.length).toBeLessThanOrEqual(500);
  });
});

describe('budget', () => {
  // One 4-draft thumbnail reserves five calls at the price card (7,920 µ$ each at 4 steps).
  const RESERVED = 5 * 7_920;

  test('thumbnails reserve their calls; over the limit waits while others hold part of it, then stops', () => {
    const s = new BatchState(input(10, { budget: { maxMicros: 3 * RESERVED - 1 } }));
    expect(s.budget.admit('t1', 'draft', undefined)).toEqual({ ok: true, allowanceMicros: RESERVED });
    expect(s.budget.admit('t2', 'draft', undefined)).toEqual({ ok: true, allowanceMicros: RESERVED });
    const third = s.budget.admit('t3', 'draft', undefined);
    expect(third).toMatchObject({ ok: false, scope: 'batch', waitable: true });
    expect(batchProgress(s.view(), 2)).toMatchObject({ budgetMicros: 3 * RESERVED - 1, committedMicros: 2 * RESERVED });
    // t1 booked 8,000 µ$, far less than it reserved: now a third fits.
    s.record(scored('t1', 0.5));
    expect(batchProgress(s.view(), 1).committedMicros).toBe(8_000 + RESERVED);
    expect(s.budget.admit('t3', 'draft', undefined)).toMatchObject({ ok: true });
    expect(s.budget.admit('t4', 'draft', undefined)).toMatchObject({ ok: false, waitable: true });
    s.record(scored('t2', 0.5));
    s.record(scored('t3', 0.5));
    // Nothing under way and 24,000 µ$ booked: t4 fits now.
    expect(s.budget.admit('t4', 'draft', undefined)).toMatchObject({ ok: true });
    s.record(scored('t4', 0.5));
    expect(batchProgress(s.view(), 0).committedMicros).toBe(32_000);
    s.budget.stop('the batch limit is reached');
    expect(batchResult(s.view(), '/out')).toMatchObject({
      status: 'budget-stopped',
      budgetStop: 'the batch limit is reached',
    });
  });

  test('a batch without limits admits everything without an allowance', () => {
    const s = new BatchState(input(3));
    expect(s.budget.admit('t1', 'draft', { channel: 'x' })).toEqual({ ok: true });
    expect(batchProgress(s.view(), 1)).not.toHaveProperty('budgetMicros');
  });

  test('group limits: a group over its limit is skipped, `*` covers unlisted groups, others run', () => {
    const budget = { key: 'channel', perKey: { cooking: RESERVED, '*': 2 * RESERVED } };
    const s = new BatchState(input(10, { budget }));
    expect(s.budget.admit('c1', 'draft', { channel: 'cooking' })).toMatchObject({
      ok: true,
      allowanceMicros: RESERVED,
    });
    expect(s.budget.admit('c2', 'draft', { channel: 'cooking' })).toMatchObject({
      ok: false,
      scope: 'group',
      waitable: true,
    });
    s.record(scored('c1', 0.4));
    expect(s.budget.admit('c2', 'draft', { channel: 'cooking' })).toMatchObject({
      ok: false,
      scope: 'group',
      waitable: false,
    });
    s.skipForBudget('c2', 'draft', 'the channel "cooking" limit is reached');
    expect(s.budget.admit('t1', 'draft', { channel: 'travel' })).toMatchObject({ ok: true });
    expect(s.budget.admit('t2', 'draft', { channel: 'travel' })).toMatchObject({ ok: true });
    expect(s.budget.admit('t3', 'draft', { channel: 'travel' })).toMatchObject({ ok: false, scope: 'group' });
    // A brief without the key is bound by the batch limit only (none here).
    expect(s.budget.admit('n1', 'draft', undefined)).toEqual({ ok: true });
    expect(batchResult(s.view(), '/out').failed).toEqual([
      {
        id: 'c2',
        phase: 'draft',
        type: 'BudgetExhausted',
        reason: 'not started: the channel "cooking" limit is reached',
      },
    ]);
    // A re-roll over its group's limit leaves the draft standing, and says so in its decision.
    s.skipForBudget('c1', 'reroll', 'the channel "cooking" limit is reached', 0.4);
    expect(s.rerollDecisions).toEqual([
      expect.objectContaining({ id: 'c1', winner: 'draft', reason: expect.stringMatching(/^re-roll not started/) }),
    ]);
  });

  test('setBudget: refused below what is committed or once stopped; a raise answers with the headroom', () => {
    const s = new BatchState(input(10, { budget: { maxMicros: 100_000 } }));
    s.budget.admit('t1', 'draft', undefined);
    expect(s.budget.budgetUpdateProblem(10_000)).toMatch(
      /^\$0\.0100 is below what is already committed: \$0\.0000 spent and \$0\.0396 under way/
    );
    // Micro-dollars on the wire: a float (dollars sent by mistake) is refused, naming the field.
    expect(s.budget.budgetUpdateProblem(0.5)).toMatch(/^maxMicros must be a whole number of micro-dollars/);
    expect(s.budget.budgetUpdateProblem(-1)).toMatch(/^maxMicros must be a whole number of micro-dollars above 0/);
    expect(s.budget.budgetUpdateProblem('5')).toMatch(/got "5"/);
    expect(s.budget.budgetUpdateProblem(1_000_000_000_001)).toMatch(/at most \$1,000,000/);
    expect(s.budget.budgetUpdateProblem(1_000_000)).toBeUndefined();
    expect(s.budget.setLimit(1_000_000)).toEqual({
      maxMicros: 1_000_000,
      spentMicros: 0,
      inFlightMicros: 39_600,
      headroomMicros: 960_400,
    });
    expect(batchProgress(s.view(), 1).budgetMicros).toBe(1_000_000);
    s.budget.stop('limit');
    expect(s.budget.budgetUpdateProblem(2_000_000)).toMatch(/already stopped on its budget/);
  });

  test('budgets and callback URLs are validated with the batch input', () => {
    expect(() => validateBatchInput(input(1, { budget: { maxMicros: -5 } }))).toThrow(/budget\.maxMicros/);
    expect(() => validateBatchInput(input(1, { budget: { key: 'channel' } }))).toThrow(/go together/);
    expect(() => validateBatchInput(input(1, { notifyUrl: 'ftp://x' }))).toThrow(/notifyUrl must be an http\(s\) URL/);
    expect(() => validateBatchInput(input(1, { notifyUrl: 'https://u:p@x.example/hook' }))).toThrow(
      /must not carry credentials/
    );
    expect(() =>
      validateBatchInput(input(1, { budget: { maxMicros: 5_000_000 }, notifyUrl: 'https://x.example/h' }))
    ).not.toThrow();
  });
});
