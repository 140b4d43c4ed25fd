import {
  DEFAULT_BATCH_OPTIONS,
  rerollCount,
  resolveBatchOptions,
  validateBatchOptions,
  type BatchOptions,
} from '../shared/batch-options.js';
import { batchOptionsFromFlags } from '../client/options-flags.js';

const fieldsOf = (o: BatchOptions): string[] => validateBatchOptions(o).map((p) => p.field);

describe('resolveBatchOptions', () => {
  test('defaults are the seed strategy', () => {
    expect(resolveBatchOptions()).toEqual({
      candidates: 4,
      draftModel: 'flux-schnell',
      draftSteps: 4,
      rerollModel: 'flux-1.1-pro',
      rerollFraction: 0.1,
      maxInFlight: 8,
      size: { width: 1280, height: 720 },
      maxConsecutiveUnusable: 10,
      maxUnusableShare: 0.15,
    });
    expect(validateBatchOptions(resolveBatchOptions())).toEqual([]);
  });

  test('the waste breaker limits are validated, naming the field', () => {
    const bad = resolveBatchOptions({ maxConsecutiveUnusable: 0, maxUnusableShare: 1.5 });
    expect(validateBatchOptions(bad).map((p) => p.field)).toEqual(['maxConsecutiveUnusable', 'maxUnusableShare']);
  });

  test('given values override defaults; undefined ones (flags not passed) do not', () => {
    const o = resolveBatchOptions({ candidates: 6, rerollFraction: undefined, maxInFlight: 50 });
    expect(o.candidates).toBe(6);
    expect(o.rerollFraction).toBe(0.1);
    expect(o.maxInFlight).toBe(50);
  });

  test('the result does not share the default size object', () => {
    const o = resolveBatchOptions();
    o.size.width = 1024;
    expect(DEFAULT_BATCH_OPTIONS.size.width).toBe(1280);
    expect(resolveBatchOptions().size.width).toBe(1280);
  });
});

describe('validateBatchOptions', () => {
  test('rerollFraction outside 0..1 names the field and what is accepted', () => {
    expect(validateBatchOptions(resolveBatchOptions({ rerollFraction: 1.5 }))).toEqual([
      {
        field: 'rerollFraction',
        message: 'rerollFraction must be a number from 0 to 1 (the share of the batch re-rolled), got 1.5',
      },
    ]);
    expect(fieldsOf(resolveBatchOptions({ rerollFraction: -0.1 }))).toEqual(['rerollFraction']);
    expect(fieldsOf(resolveBatchOptions({ rerollFraction: Number.NaN }))).toEqual(['rerollFraction']);
    expect(fieldsOf(resolveBatchOptions({ rerollFraction: 0 }))).toEqual([]);
    expect(fieldsOf(resolveBatchOptions({ rerollFraction: 1 }))).toEqual([]);
  });

  test('candidates must be an integer from 1 to 8', () => {
    for (const bad of [0, 9, 2.5]) {
      const [problem] = validateBatchOptions(resolveBatchOptions({ candidates: bad }));
      expect(problem?.field).toBe('candidates');
      expect(problem?.message).toBe(`candidates must be an integer from 1 to 8 (drafts per brief), got ${bad}`);
    }
    expect(fieldsOf(resolveBatchOptions({ candidates: 8 }))).toEqual([]);
  });

  test('maxInFlight must be an integer from 1 to 200', () => {
    expect(fieldsOf(resolveBatchOptions({ maxInFlight: 0 }))).toEqual(['maxInFlight']);
    expect(fieldsOf(resolveBatchOptions({ maxInFlight: 201 }))).toEqual(['maxInFlight']);
    expect(fieldsOf(resolveBatchOptions({ maxInFlight: 200 }))).toEqual([]);
  });

  test('draftSteps must be within the draft model step range, and is ignored for models without steps', () => {
    const [problem] = validateBatchOptions(resolveBatchOptions({ draftSteps: 9 }));
    expect(problem).toEqual({
      field: 'draftSteps',
      message: 'draftSteps must be an integer from 1 to 8 (the step range of flux-schnell), got 9',
    });
    expect(fieldsOf(resolveBatchOptions({ draftModel: 'flux-dev', draftSteps: 30 }))).toEqual([]);
    expect(fieldsOf(resolveBatchOptions({ draftModel: 'flux-1.1-pro', draftSteps: 999 }))).toEqual([]);
  });

  test('fast-flux-schnell drafts take 1–8 steps; others are refused naming the field and the range', () => {
    const fast = (draftSteps: number) => resolveBatchOptions({ draftModel: 'fast-flux-schnell', draftSteps });
    expect(validateBatchOptions(fast(1))).toEqual([]);
    expect(validateBatchOptions(fast(8))).toEqual([]);
    expect(validateBatchOptions(resolveBatchOptions({ rerollModel: 'fast-flux-schnell' }))).toEqual([]);
    for (const steps of [0, 9, 2.5]) {
      expect(validateBatchOptions(fast(steps))).toEqual([
        {
          field: 'draftSteps',
          message: `draftSteps must be an integer from 1 to 8 (the step range of fast-flux-schnell), got ${steps}`,
        },
      ]);
    }
  });

  test('--draft-model fast-flux-schnell is accepted from flags; a bad --draft-steps names the flag', () => {
    const options = batchOptionsFromFlags({ 'draft-model': 'fast-flux-schnell', 'draft-steps': '2' });
    expect(options).toMatchObject({ draftModel: 'fast-flux-schnell', draftSteps: 2 });
    expect(() => batchOptionsFromFlags({ 'draft-model': 'fast-flux-schnell', 'draft-steps': '12' })).toThrow(
      '--draft-steps: draftSteps must be an integer from 1 to 8 (the step range of fast-flux-schnell), got 12'
    );
  });

  test('models must be Flux models', () => {
    const o = resolveBatchOptions({ draftModel: 'sdxl' as never, rerollModel: 'flux-2' as never });
    const problems = validateBatchOptions(o);
    expect(problems.map((p) => p.field)).toEqual(['draftModel', 'rerollModel']);
    expect(problems[0]?.message).toContain(
      'flux-schnell, fast-flux-schnell, flux-dev, flux-1.1-pro, flux-pro, flux-1.1-pro-ultra'
    );
  });

  test('the default size must suit both models, with sizes that would', () => {
    const [problem] = validateBatchOptions(resolveBatchOptions({ size: { width: 1000, height: 700 } }));
    expect(problem?.field).toBe('size');
    expect(problem?.message).toMatch(/multiples of 16.*try \d+x\d+/);
  });

  test('unknown keys (workflow input from other clients) are reported', () => {
    const o = { ...resolveBatchOptions(), candiates: 3 } as unknown as BatchOptions;
    const [problem] = validateBatchOptions(o);
    expect(problem?.field).toBe('candiates');
    expect(problem?.message).toMatch(/not a batch option; accepted: candidates, /);
  });
});

describe('rerollCount', () => {
  test('is ceil(fraction × n) without floating-point error', () => {
    // Why the guard exists: 0.07 × 100 is 7.000000000000001 in floating point, which a bare ceil makes 8.
    expect(0.07 * 100).toBeGreaterThan(7);
    expect(rerollCount(100, 0.07)).toBe(7);
    expect(rerollCount(300, 0.07)).toBe(21);
    expect(rerollCount(20, 0.1)).toBe(2);
    expect(rerollCount(30, 0.1)).toBe(3);
    expect(rerollCount(9_000, 0.1)).toBe(900);
    expect(rerollCount(300, 0.1)).toBe(30);
    expect(rerollCount(70, 0.1)).toBe(7);
  });

  test('rounds partial re-rolls up, and covers the edges', () => {
    expect(rerollCount(7, 0.1)).toBe(1);
    expect(rerollCount(21, 0.1)).toBe(3);
    expect(rerollCount(1, 0.1)).toBe(1);
    expect(rerollCount(0, 0.1)).toBe(0);
    expect(rerollCount(10, 0)).toBe(0);
    expect(rerollCount(10, 1)).toBe(10);
    expect(rerollCount(3, 0.7)).toBe(3);
  });

  test('rejects nonsense', () => {
    expect(() => rerollCount(-1, 0.1)).toThrow(RangeError);
    expect(() => rerollCount(2.5, 0.1)).toThrow(RangeError);
    expect(() => rerollCount(10, 1.5)).toThrow(/fraction/);
  });
});
