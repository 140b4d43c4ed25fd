/**
 * What a provider call is booked at (activities/segmind/billing.ts), on literal fixtures: the headers
 * of a v1 answer and the body and headers of a v2 result → the amount in micro-dollars and its basis.
 * No HTTP: the client's tests show these rules applied to real answers.
 *
 * Price card (shared/price-card.ts): flux-schnell bills $0.0072 per GPU-second and expects
 * 0.78 s + 0.08 s per step (4 steps: 1.1 s, 7,920 µ$; 8 steps: 1.42 s, 10,224 µ$); flux-1.1-pro is
 * flat at $0.05 (50,000 µ$).
 */
import {
  billingFromHeaders,
  jobCharge,
  jobEstimate,
  junkBilling,
  remainingCreditsMicros,
} from '../activities/segmind/billing.js';
import type { SegmindRequestBody } from '../shared/generation-request.js';

const FOUR_STEPS: SegmindRequestBody = { prompt: 'a robot unboxing a mystery gadget', steps: 4 };
const EIGHT_STEPS: SegmindRequestBody = { prompt: 'a robot unboxing a mystery gadget', steps: 8 };
const FLAT: SegmindRequestBody = { prompt: 'a robot unboxing a mystery gadget' };
const UNREPORTED = expect.stringMatching(/^unreported-[0-9a-f-]{36}$/);

describe('a v1 image answer: billingFromHeaders', () => {
  test('x-cost is the amount, as the provider reported it, with its request id, GPU time and balance', () => {
    const headers = {
      'x-cost': '0.0123',
      'x-generation-time': '1.5',
      'x-request-id': 'req-v1-1',
      'x-remaining-credits': '9.5',
    };
    expect(billingFromHeaders('flux-schnell', headers, FOUR_STEPS)).toEqual({
      requestId: 'req-v1-1',
      model: 'flux-schnell',
      pricingMode: 'gpu-second',
      gpuSeconds: 1.5,
      costMicros: 12_300,
      basis: 'provider',
      creditsRemainingMicros: 9_500_000,
    });
  });

  test('without x-cost, a per-second model is billed its x-generation-time at the card rate', () => {
    const billed = billingFromHeaders('flux-schnell', { 'x-generation-time': '1.5', 'x-request-id': 'r2' }, FOUR_STEPS);
    expect(billed).toMatchObject({ gpuSeconds: 1.5, costMicros: 10_800, basis: 'provider' });
    expect(billed).not.toHaveProperty('creditsRemainingMicros');
  });

  test('a flat-priced model without x-cost is the price card, and its GPU time is not kept', () => {
    const billed = billingFromHeaders('flux-1.1-pro', { 'x-generation-time': '3.2' }, FLAT);
    expect(billed).toEqual({
      requestId: UNREPORTED,
      model: 'flux-1.1-pro',
      pricingMode: 'flat',
      costMicros: 50_000,
      basis: 'price-card',
    });
  });

  test('no accounting headers at all: the price card at the requested steps, under a local stand-in id', () => {
    expect(billingFromHeaders('flux-schnell', { 'content-type': 'image/jpeg' }, EIGHT_STEPS)).toEqual({
      requestId: UNREPORTED,
      model: 'flux-schnell',
      pricingMode: 'gpu-second',
      costMicros: 10_224,
      basis: 'price-card',
    });
  });

  test.each([['abc'], [''], ['   '], ['NaN'], ['Infinity'], ['$0.01']])(
    'a malformed x-cost %p is ignored: the next rule decides',
    (cost) => {
      expect(
        billingFromHeaders('flux-schnell', { 'x-cost': cost, 'x-generation-time': '2' }, FOUR_STEPS)
      ).toMatchObject({ costMicros: 14_400, basis: 'provider' });
      expect(billingFromHeaders('flux-schnell', { 'x-cost': cost }, FOUR_STEPS)).toMatchObject({
        costMicros: 7_920,
        basis: 'price-card',
      });
    }
  );

  test('malformed x-generation-time and x-remaining-credits are left out, not booked as zero', () => {
    const billed = billingFromHeaders(
      'flux-schnell',
      { 'x-generation-time': 'soon', 'x-remaining-credits': 'plenty' },
      FOUR_STEPS
    );
    expect(billed).toMatchObject({ costMicros: 7_920, basis: 'price-card' });
    expect(billed).not.toHaveProperty('gpuSeconds');
    expect(billed).not.toHaveProperty('creditsRemainingMicros');
  });

  test('a header sent twice counts by its first value', () => {
    const billed = billingFromHeaders('flux-schnell', { 'x-cost': ['0.01', '0.99'], 'x-request-id': 'r3' }, FOUR_STEPS);
    expect(billed).toMatchObject({ requestId: 'r3', costMicros: 10_000, basis: 'provider' });
  });

  test('an x-request-id that is not a usable id is replaced by a local stand-in; the amount stands', () => {
    const billed = billingFromHeaders(
      'flux-schnell',
      { 'x-request-id': 'a/b\u001b[31m', 'x-cost': '0.02' },
      FOUR_STEPS
    );
    expect(billed).toMatchObject({ requestId: UNREPORTED, costMicros: 20_000, basis: 'provider' });
  });
});

describe('a 200 that is not the provider answer: junkBilling', () => {
  test('no accounting header (a CDN or WAF page): not booked', () => {
    const page = { 'content-type': 'text/html', server: 'cloudflare', 'x-generation-time': '1.5' };
    expect(junkBilling('flux-schnell', page, FOUR_STEPS)).toBeUndefined();
    expect(junkBilling('flux-schnell', {}, FOUR_STEPS)).toBeUndefined();
  });

  test('a junk body with accounting headers is booked suspect at the price card, its figures not trusted', () => {
    const headers = {
      'content-type': 'text/html',
      'x-cost': '5.00',
      'x-generation-time': '900',
      'x-request-id': 'req-junk',
      'x-remaining-credits': '7.25',
    };
    expect(junkBilling('flux-schnell', headers, EIGHT_STEPS)).toEqual({
      requestId: 'req-junk',
      model: 'flux-schnell',
      pricingMode: 'gpu-second',
      costMicros: 10_224,
      basis: 'suspect',
      creditsRemainingMicros: 7_250_000,
    });
  });

  test.each([
    ['x-cost', { 'x-cost': 'junk' }],
    ['x-request-id', { 'x-request-id': 'req-only' }],
    ['x-remaining-credits', { 'x-remaining-credits': '1' }],
  ])('%s alone is evidence that a job ran', (_name, headers) => {
    expect(junkBilling('flux-1.1-pro', headers, FLAT)).toMatchObject({ costMicros: 50_000, basis: 'suspect' });
  });

  test('a suspect booking of a bad request id keeps a local stand-in id', () => {
    expect(junkBilling('flux-schnell', { 'x-request-id': '../../etc' }, FOUR_STEPS)).toMatchObject({
      requestId: UNREPORTED,
      basis: 'suspect',
    });
  });
});

describe('a v2 job', () => {
  test('before its result tells the cost: the price card under its request id (jobEstimate)', () => {
    expect(jobEstimate('flux-schnell', 'job-1', EIGHT_STEPS)).toEqual({
      requestId: 'job-1',
      model: 'flux-schnell',
      pricingMode: 'gpu-second',
      costMicros: 10_224,
      basis: 'price-card',
    });
    expect(jobEstimate('flux-1.1-pro', 'job-2', FLAT)).toMatchObject({ costMicros: 50_000, basis: 'price-card' });
  });

  test("the submit's balance (remainingCreditsMicros)", () => {
    expect(remainingCreditsMicros({ 'x-remaining-credits': '12.345678' })).toBe(12_345_678);
    expect(remainingCreditsMicros({ 'x-remaining-credits': 'n/a' })).toBeUndefined();
    expect(remainingCreditsMicros({})).toBeUndefined();
  });
});

describe('a COMPLETED v2 result: jobCharge', () => {
  const completed = (metrics: unknown): Record<string, unknown> => ({
    status: 'COMPLETED',
    output: 'https://api.segmind.test/media/job-1.jpg',
    metrics,
  });

  test("metrics.cost_usd wins over x-cost; the job's own id is kept, the header's is not", () => {
    const headers = { 'x-cost': '0.5', 'x-request-id': 'other', 'x-remaining-credits': '9' };
    expect(
      jobCharge('flux-schnell', 'job-1', FOUR_STEPS, completed({ cost_usd: 0.009, gpu_seconds: 1.2 }), headers)
    ).toEqual({
      requestId: 'job-1',
      model: 'flux-schnell',
      pricingMode: 'gpu-second',
      gpuSeconds: 1.2,
      costMicros: 9_000,
      basis: 'provider',
      creditsRemainingMicros: 9_000_000,
    });
  });

  test('metrics.gpu_seconds alone, on a per-second model: billed at the card rate', () => {
    expect(jobCharge('flux-schnell', 'job-1', FOUR_STEPS, completed({ gpu_seconds: 1.2 }), {})).toMatchObject({
      gpuSeconds: 1.2,
      costMicros: 8_640,
      basis: 'provider',
    });
  });

  test('no usable metrics: x-cost, else x-generation-time, else the price card', () => {
    const none = completed(undefined);
    expect(jobCharge('flux-schnell', 'job-1', FOUR_STEPS, none, { 'x-cost': '0.011' })).toMatchObject({
      costMicros: 11_000,
      basis: 'provider',
    });
    expect(jobCharge('flux-schnell', 'job-1', FOUR_STEPS, none, { 'x-generation-time': '1.3' })).toMatchObject({
      gpuSeconds: 1.3,
      costMicros: 9_360,
      basis: 'provider',
    });
    expect(jobCharge('flux-schnell', 'job-1', EIGHT_STEPS, none, {})).toEqual({
      requestId: 'job-1',
      model: 'flux-schnell',
      pricingMode: 'gpu-second',
      costMicros: 10_224,
      basis: 'price-card',
    });
  });

  test.each([
    ['a string', 'free'],
    ['null', null],
    ['an array', [0.01]],
    ['a cost as a string', { cost_usd: '0.01', gpu_seconds: '1.2' }],
    ['a negative cost', { cost_usd: -0.01, gpu_seconds: -1 }],
    ['non-finite figures', { cost_usd: Number.POSITIVE_INFINITY, gpu_seconds: Number.NaN }],
  ])('metrics that are %s are not used: the headers decide', (_what, metrics) => {
    expect(jobCharge('flux-schnell', 'job-1', FOUR_STEPS, completed(metrics), { 'x-cost': '0.012' })).toMatchObject({
      costMicros: 12_000,
      basis: 'provider',
    });
    expect(jobCharge('flux-schnell', 'job-1', FOUR_STEPS, completed(metrics), {})).toMatchObject({
      costMicros: 7_920,
      basis: 'price-card',
    });
  });

  test('a flat-priced model ignores GPU seconds: cost_usd, else x-cost, else the flat fee', () => {
    const gpuOnly = completed({ gpu_seconds: 4 });
    expect(jobCharge('flux-1.1-pro', 'job-9', FLAT, completed({ cost_usd: 0.04 }), {})).toMatchObject({
      costMicros: 40_000,
      basis: 'provider',
    });
    expect(jobCharge('flux-1.1-pro', 'job-9', FLAT, gpuOnly, { 'x-cost': '0.045' })).toMatchObject({
      costMicros: 45_000,
      basis: 'provider',
    });
    const fee = jobCharge('flux-1.1-pro', 'job-9', FLAT, gpuOnly, {});
    expect(fee).toEqual({
      requestId: 'job-9',
      model: 'flux-1.1-pro',
      pricingMode: 'flat',
      costMicros: 50_000,
      basis: 'price-card',
    });
  });

  test('GPU time missing from metrics comes from x-generation-time; the cost from metrics still wins', () => {
    const headers = { 'x-generation-time': '1.3', 'x-remaining-credits': 'broken' };
    const billed = jobCharge('flux-schnell', 'job-1', FOUR_STEPS, completed({ cost_usd: 0.01 }), headers);
    expect(billed).toEqual({
      requestId: 'job-1',
      model: 'flux-schnell',
      pricingMode: 'gpu-second',
      gpuSeconds: 1.3,
      costMicros: 10_000,
      basis: 'provider',
    });
  });
});
