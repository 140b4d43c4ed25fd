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

  test('the final-amount listener hears each call once, and what it hears adds up to the total', () => {
    const heard: { requestId: string; costMicros: number; basis: string }[] = [];
    const earlier = new Ledger();
    earlier.book(schnell('from-the-failed-run'), ctx(0), 'image');
    const ledger = new Ledger(earlier.list(), ({ requestId, costMicros, basis }) =>
      heard.push({ requestId, costMicros, basis })
    );
    expect(heard).toEqual([]); // counted by the run that booked it

    ledger.book(schnell('sync'), ctx(1), 'image');
    // An accepted job: booked at the price card, settled at the provider's figure when collected.
    ledger.book({ ...schnell('job', 2), basis: 'price-card' }, ctx(2), 'unusable', { estimate: true });
    ledger.book({ ...schnell('lost-job', 3), basis: 'price-card' }, ctx(3), 'unusable', { estimate: true });
    expect(heard.map((h) => h.requestId)).toEqual(['sync']);
    ledger.settle(schnell('job', 1.5), ctx(2), 'image');
    ledger.settle(schnell('job', 1.5), ctx(2), 'image'); // already final: not heard again
    expect(heard.map((h) => h.requestId)).toEqual(['sync', 'job']);
    expect(heard[1]).toEqual({ requestId: 'job', costMicros: 10_800, basis: 'provider' });

    // A billed-but-unusable call with no earlier booking is final at once.
    ledger.settle(schnell('junk'), ctx(4), 'unusable');
    // The thumbnail ends with a job never collected: its estimate is what was paid.
    ledger.closeEstimates();
    ledger.closeEstimates();
    expect(heard.map((h) => h.requestId)).toEqual(['sync', 'job', 'junk', 'lost-job']);
    const heardMicros = heard.reduce((sum, h) => sum + h.costMicros, 0);
    expect(heardMicros + earlier.totals.costMicros).toBe(ledger.totals.costMicros);
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
