import { Ledger, emptyTotals, mergeTotals } from '../shared/ledger.js';
import type { BilledCall } from '../shared/generation.js';
import { DEFAULT_RETRY_DELAYS as DEFAULT_RETRY, retryDelayMs } from '../shared/retry.js';
import { seedFor } from '../shared/seeds.js';

const schnell = (requestId: string, gpuSeconds = 1.1): BilledCall => ({
  requestId,
  model: 'flux-schnell',
  pricingMode: 'gpu-second',
  gpuSeconds,
  costMicros: Math.round(gpuSeconds * 7_200),
  basis: 'provider',
});
const pro = (requestId: string): BilledCall => ({
  requestId,
  model: 'flux-1.1-pro',
  pricingMode: 'flat',
  costMicros: 50_000,
  basis: 'price-card',
});
const ctx = (candidateIndex: number, phase: 'draft' | 'reroll' = 'draft') => ({
  thumbnailId: 't1',
  phase,
  candidateIndex,
  attempt: 1,
});

describe('Ledger', () => {
  test('books each call once, keyed by the provider request id', () => {
    const ledger = new Ledger();
    expect(ledger.book(schnell('r1'), ctx(0), 'image')).toBe(true);
    expect(ledger.book(schnell('r1'), ctx(0), 'image')).toBe(false);
    expect(ledger.list()).toHaveLength(1);
    expect(ledger.totals.costMicros).toBe(7_920);
  });

  test('totals by phase and model, with unusable calls counted separately', () => {
    const ledger = new Ledger();
    ledger.book(schnell('a', 1.1), ctx(0), 'image');
    ledger.book(schnell('b', 1.2), ctx(1), 'unusable');
    ledger.book(pro('c'), ctx(0, 'reroll'), 'image');
    const t = ledger.totals;
    expect(t.calls).toBe(3);
    expect(t.costMicros).toBe(7_920 + 8_640 + 50_000);
    expect(t.byPhase.draft).toEqual({ calls: 2, costMicros: 16_560 });
    expect(t.byPhase.reroll).toEqual({ calls: 1, costMicros: 50_000 });
    expect(t.byModel['flux-schnell']).toEqual({ calls: 2, costMicros: 16_560, gpuSeconds: 2.3 });
    expect(t.unusableCalls).toBe(1);
    expect(t.unusableCostMicros).toBe(8_640);
  });

  test('rebuilding from entries and merging totals give the same sums', () => {
    const a = new Ledger();
    a.book(schnell('a'), ctx(0), 'image');
    const b = new Ledger();
    b.book(pro('b'), ctx(0, 'reroll'), 'image');
    const merged = emptyTotals();
    mergeTotals(merged, a.totals);
    mergeTotals(merged, b.totals);
    expect(new Ledger([...a.list(), ...b.list()]).totals).toEqual(merged);
  });
});

describe('retry delays and seeds', () => {
  test('Retry-After wins over back-off but is capped', () => {
    expect(retryDelayMs(DEFAULT_RETRY, 1)).toBe(1_000);
    expect(retryDelayMs(DEFAULT_RETRY, 3)).toBe(4_000);
    expect(retryDelayMs(DEFAULT_RETRY, 10)).toBe(30_000);
    expect(retryDelayMs(DEFAULT_RETRY, 1, 2_500)).toBe(2_500);
    // "Retry now" still waits the back-off floor, so a busy provider is not stampeded.
    expect(retryDelayMs(DEFAULT_RETRY, 1, 0)).toBe(1_000);
    expect(retryDelayMs(DEFAULT_RETRY, 3, 500)).toBe(4_000);
    expect(retryDelayMs(DEFAULT_RETRY, 1, 24 * 3600_000)).toBe(DEFAULT_RETRY.maxRetryAfterMs);
  });

  test('seeds are deterministic, distinct per slot, and 32-bit', () => {
    const seeds = [0, 1, 2, 3].map((i) => seedFor('batch', 'thumb', 'draft', i));
    expect(new Set(seeds).size).toBe(4);
    expect(seedFor('batch', 'thumb', 'draft', 0)).toBe(seeds[0]);
    for (const s of seeds) expect(s >>> 0).toBe(s);
  });
});
