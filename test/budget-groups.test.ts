/**
 * Budget group names are data: a channel called `constructor`, `toString` or `__proto__` is a group like
 * any other, never a member of Object.prototype — neither when its limit is looked up nor when its spend
 * is booked and carried across continue-as-new.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSettingsFromFlags } from '../client/run-flags.js';
import { resolveBatchOptions } from '../shared/batch-options.js';
import type { BatchWorkflowInput } from '../shared/batch-workflow.js';
import { budgetGroupOf, groupLimit, type BatchBudget } from '../shared/budget.js';
import { emptyTotals } from '../shared/ledger.js';
import type { ThumbnailWorkflowResult } from '../shared/thumbnail-workflow.js';
import { BatchState } from '../workflows/batch-state.js';

// One 4-draft thumbnail reserves five calls at the price card (7,920 µ$ each at 4 steps).
const RESERVED = 5 * 7_920;

/** As the workflow receives it: through JSON, where `"__proto__"` is an own key. */
function budget(perKey: string): BatchBudget {
  return JSON.parse(`{"key": "channel", "perKey": ${perKey}}`) as BatchBudget;
}

function input(b: BatchBudget): BatchWorkflowInput {
  return {
    batchId: 'unit',
    manifest: { sha256: 'a'.repeat(64), bytes: 1, contentType: 'application/x-ndjson' },
    thumbnails: 10,
    options: resolveBatchOptions({ rerollFraction: 0.1 }),
    budget: b,
  };
}

function drafted(id: string, costMicros: number): ThumbnailWorkflowResult {
  const totals = emptyTotals();
  totals.calls = 1;
  totals.costMicros = costMicros;
  totals.byPhase.draft = { calls: 1, costMicros };
  return {
    ok: false,
    type: 'ProviderRejected',
    reason: 'rejected',
    batchId: 'unit',
    manifestSha256: 'a'.repeat(64),
    thumbnailId: id,
    phase: 'draft',
    candidates: [],
    failures: [],
    ledger: [],
    totals,
  };
}

describe('budget groups named like Object.prototype members', () => {
  test('unlisted `constructor` and `toString` groups get the `*` limit, not a prototype function', () => {
    const b = budget(`{"cooking": ${RESERVED}, "*": ${2 * RESERVED}}`);
    expect(groupLimit(b, 'constructor')).toBe(2 * RESERVED);
    expect(groupLimit(b, 'toString')).toBe(2 * RESERVED);
    expect(groupLimit(b, '__proto__')).toBe(2 * RESERVED);
    const s = new BatchState(input(b));
    expect(s.budget.admit('c1', 'draft', { channel: 'constructor' })).toEqual({ ok: true, allowanceMicros: RESERVED });
    expect(s.budget.admit('t1', 'draft', { channel: 'toString' })).toEqual({ ok: true, allowanceMicros: RESERVED });
    expect(s.budget.admit('p1', 'draft', { channel: '__proto__' })).toEqual({ ok: true, allowanceMicros: RESERVED });
  });

  test('a `__proto__` group has its own limit and its spend is booked, and carried to the next run', () => {
    const s = new BatchState(input(budget(`{"__proto__": ${RESERVED}}`)));
    expect(s.budget.admit('p1', 'draft', { channel: '__proto__' })).toEqual({ ok: true, allowanceMicros: RESERVED });
    s.record(drafted('p1', 8_000));
    const refused = s.budget.admit('p2', 'draft', { channel: '__proto__' });
    expect(refused).toEqual({
      ok: false,
      scope: 'group',
      waitable: false,
      reason: 'the channel "__proto__" limit of $0.04 is reached',
    });
    // Other groups have no limit of their own and no `*`: only the batch limit (none) applies.
    expect(s.budget.admit('c1', 'draft', { channel: 'constructor' })).toEqual({ ok: true });

    const next = JSON.parse(JSON.stringify(s.nextRun())) as BatchWorkflowInput;
    expect(Object.entries(next.carry!.groupSpend)).toEqual([['__proto__', 8_000]]);
    expect(new BatchState(next).budget.admit('p2', 'draft', { channel: '__proto__' })).toMatchObject({
      ok: false,
      reason: 'the channel "__proto__" limit of $0.04 is reached',
    });
  });

  test('a budget key named like a prototype member finds no group in metadata that lacks it', () => {
    const b = { key: 'constructor', perKey: { '*': RESERVED } };
    expect(budgetGroupOf(b, { channel: 'x' })).toBeUndefined();
    expect(budgetGroupOf({ ...b, key: 'toString' }, {})).toBeUndefined();
  });

  test('a budget file naming such groups keeps each as its own entry', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'thumbgate-budget-'));
    try {
      const file = join(dir, 'budgets.json');
      await writeFile(file, '{"__proto__": 1, "constructor": 2, "toString": 3, "*": 4}');
      const { budget: parsed } = await runSettingsFromFlags({ 'budget-key': 'channel', 'budget-file': file });
      expect(Object.entries(JSON.parse(JSON.stringify(parsed!.perKey)) as object)).toEqual([
        ['__proto__', 1_000_000],
        ['constructor', 2_000_000],
        ['toString', 3_000_000],
        ['*', 4_000_000],
      ]);
      expect(groupLimit(parsed, '__proto__')).toBe(1_000_000);
      expect(groupLimit(parsed, 'valueOf')).toBe(4_000_000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
