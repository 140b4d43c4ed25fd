import {
  DAYS_PER_MONTH,
  EstimateInputError,
  SEED_MCN_VOLUME,
  estimateCost,
  estimateToJson,
  formatEstimateTable,
} from '../client/estimate.js';
import { BatchOptionsError, resolveBatchOptions } from '../shared/batch-options.js';
import { draftCostMicros, gatePerThumbnailMicros } from '../shared/gate-cost.js';
import { callReservationMicros } from '../shared/budget.js';
import { FLUX_MODELS } from '../shared/price-card.js';
import { usdToMicros } from '../shared/money.js';

const monthly = (e: ReturnType<typeof estimateCost>, model: string): number | undefined =>
  e.models.find((m) => m.model === model)?.monthlyMicros;

describe('estimateCost', () => {
  test("reproduces the seed's figures for 9,000 thumbnails a month", () => {
    const e = estimateCost({ perMonth: 9_000 });
    expect(e.thumbnailsPerMonth).toBe(9_000);
    expect(e.models.map((m) => m.model)).toEqual([...FLUX_MODELS]);
    expect(monthly(e, 'flux-1.1-pro')).toBe(usdToMicros(450));
    expect(monthly(e, 'flux-schnell')).toBe(usdToMicros(72));
    expect(e.gate.perThumbnailMicros).toBe(usdToMicros(0.037));
    expect(e.gate.monthlyMicros).toBe(usdToMicros(333));
    expect(e.gate.rerollsPerMonth).toBe(900);
    expect(e.gate.savingsVsRerollModelMicros).toBe(usdToMicros(117));
  });

  test("every model row (six: the seed's five and fast-flux-schnell) is volume × its average", () => {
    const e = estimateCost({ perMonth: 9_000 });
    expect(e.models.map((m) => [m.model, m.perThumbnailMicros, m.monthlyMicros])).toEqual([
      ['flux-schnell', 8_000, 72_000_000],
      ['fast-flux-schnell', 5_500, 49_500_000],
      ['flux-dev', 20_000, 180_000_000],
      ['flux-1.1-pro', 50_000, 450_000_000],
      ['flux-pro', 67_000, 603_000_000],
      ['flux-1.1-pro-ultra', 75_000, 675_000_000],
    ]);
  });

  test("volume per day is × 30, and the default is the seed's MCN example (300 a day)", () => {
    expect(DAYS_PER_MONTH).toBe(30);
    const byDay = estimateCost({ perDay: 300 });
    expect(byDay.thumbnailsPerMonth).toBe(9_000);
    expect(byDay.perDay).toBe(300);
    expect(estimateCost()).toEqual(byDay);
    expect(SEED_MCN_VOLUME).toEqual({ perDay: 300 });
    expect(estimateCost({ perMonth: 9_000 }).perDay).toBeUndefined();
  });

  test('follows the batch options', () => {
    const e = estimateCost({ perMonth: 1_000 }, resolveBatchOptions({ candidates: 2, rerollFraction: 0.25 }));
    expect(e.gate.perThumbnailMicros).toBe(2 * 8_000 + 12_500);
    expect(e.gate.monthlyMicros).toBe(1_000 * 16_000 + 250 * 50_000);
    const pro = estimateCost({ perMonth: 100 }, resolveBatchOptions({ rerollModel: 'flux-pro' }));
    expect(pro.gate.rerollMicros).toBe(69_000); // the flat price, not the 67,000 average
  });

  test('re-rolls are whole: ceil(fraction × month) of them', () => {
    const e = estimateCost({ perMonth: 7 });
    expect(e.gate.rerollsPerMonth).toBe(1);
    expect(e.gate.monthlyMicros).toBe(7 * 4 * 8_000 + 50_000);
  });

  test('draft cost scales with steps on per-second models, is the seed average at the default', () => {
    expect(draftCostMicros('flux-schnell', 4)).toBe(8_000);
    // 2 steps: 0.78 s + 2 × 0.08 s = 0.94 s of the default's 1.1 s.
    expect(draftCostMicros('flux-schnell', 2)).toBe(6_836);
    expect(draftCostMicros('flux-schnell', 3)).toBeLessThan(8_000);
    expect(draftCostMicros('flux-dev', 25)).toBe(20_000);
    expect(draftCostMicros('flux-1.1-pro', 4)).toBe(50_000);
    expect(gatePerThumbnailMicros(resolveBatchOptions())).toBe(37_000);
    const dev = estimateCost({ perMonth: 10 }, resolveBatchOptions({ draftModel: 'flux-dev', draftSteps: 10 }));
    // (0.78 + 10 × 0.08) / (0.78 + 25 × 0.08) of the $0.020 average.
    expect(dev.gate.draftMicros).toBe(11_367);
  });

  test('the gate can draft on fast-flux-schnell, costed by its steps per GPU-second', () => {
    expect(draftCostMicros('fast-flux-schnell', 4)).toBe(5_500);
    // 2 steps: 1.78 s + 2 × 0.18 s = 2.14 s of the default's 2.5 s.
    expect(draftCostMicros('fast-flux-schnell', 2)).toBe(4_708);
    expect(draftCostMicros('fast-flux-schnell', 1)).toBe(4_312);
    expect(draftCostMicros('fast-flux-schnell', 8)).toBe(7_084);
    const fast = estimateCost({ perMonth: 9_000 }, resolveBatchOptions({ draftModel: 'fast-flux-schnell' }));
    expect(fast.gate.draftMicros).toBe(5_500);
    expect(fast.gate.perThumbnailMicros).toBe(4 * 5_500 + 5_000);
    expect(fast.gate.monthlyMicros).toBe(9_000 * 4 * 5_500 + 900 * 50_000);
    const twoSteps = estimateCost(
      { perMonth: 9_000 },
      resolveBatchOptions({ draftModel: 'fast-flux-schnell', draftSteps: 2 })
    );
    expect(twoSteps.gate.draftSteps).toBe(2);
    expect(twoSteps.gate.perThumbnailMicros).toBe(4 * 4_708 + 5_000);
    expect(() =>
      estimateCost({ perMonth: 10 }, resolveBatchOptions({ draftModel: 'fast-flux-schnell', draftSteps: 9 }))
    ).toThrow(/draftSteps: draftSteps must be an integer from 1 to 8 \(the step range of fast-flux-schnell\), got 9/);
  });

  test('the budget reserves a draft by its steps on both schnell models, at the price card', () => {
    expect(callReservationMicros('fast-flux-schnell', 4)).toBe(5_500);
    expect(callReservationMicros('fast-flux-schnell', 1)).toBe(4_312);
    expect(callReservationMicros('flux-schnell', 1)).toBe(6_192);
    expect(callReservationMicros('flux-schnell', 4)).toBe(7_920);
    // Flat-priced models ignore steps.
    expect(callReservationMicros('flux-pro', 1)).toBe(69_000);
  });

  test('rejects bad volumes and options, naming the field', () => {
    expect(() => estimateCost({ perMonth: -1 })).toThrow(EstimateInputError);
    expect(() => estimateCost({ perDay: 2.5 })).toThrow(
      new EstimateInputError('perDay', 'perDay must be a non-negative integer (thumbnails), got 2.5')
    );
    expect(() => estimateCost({ perMonth: 10 }, resolveBatchOptions({ rerollFraction: 2 }))).toThrow(BatchOptionsError);
  });
});

describe('formatting', () => {
  test('the table shows every strategy with per-thumbnail and monthly USD', () => {
    const table = formatEstimateTable(estimateCost());
    const lines = table.split('\n');
    expect(lines[0]).toBe('Monthly cost of 9,000 thumbnails (300 a day × 30 days)');
    expect(table).toMatch(/^flux-schnell, every thumbnail\s+\$0\.0080\s+\$72\.00$/m);
    expect(table).toMatch(/^flux-1\.1-pro, every thumbnail\s+\$0\.0500\s+\$450\.00$/m);
    expect(table).toMatch(/^gate: 4 × flux-schnell @ 4 steps, re-roll 10% on flux-1\.1-pro\s+\$0\.0370\s+\$333\.00$/m);
    expect(lines.at(-1)).toBe('The gate saves $117.00 a month (26%) against making every thumbnail on flux-1.1-pro.');
  });

  test('the table has a fast-flux-schnell row, and its gate line when drafts are on it', () => {
    const table = formatEstimateTable(
      estimateCost(SEED_MCN_VOLUME, resolveBatchOptions({ draftModel: 'fast-flux-schnell', draftSteps: 2 }))
    );
    expect(table).toMatch(/^fast-flux-schnell, every thumbnail\s+\$0\.0055\s+\$49\.50$/m);
    expect(table).toMatch(
      /^gate: 4 × fast-flux-schnell @ 2 steps, re-roll 10% on flux-1\.1-pro\s+\$0\.0238\s+\$214\.49$/m
    );
  });

  test('groups thousands in monthly totals', () => {
    const table = formatEstimateTable(estimateCost({ perMonth: 100_000 }));
    expect(table).toContain('$5,000.00');
  });

  test('the JSON form carries micros and USD and survives JSON round trips', () => {
    const json = estimateToJson(estimateCost());
    expect(json.gate.perThumbnailUsd).toBe(0.037);
    expect(json.gate.monthlyUsd).toBe(333);
    expect(json.models.find((m) => m.model === 'flux-1.1-pro')?.monthlyUsd).toBe(450);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});
