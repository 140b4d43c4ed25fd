import {
  FLUX_MODELS,
  PRICE_CARD,
  aspectRatioSize,
  callCostMicros,
  expectedCostMicros,
  expectedGpuSeconds,
} from '../shared/price-card.js';
import { formatUsd, usdToMicros } from '../shared/money.js';
import {
  imageSizeProblem,
  nominalImageSize,
  toRequestBody,
  validateRequestBody,
} from '../shared/generation-request.js';

describe('price card', () => {
  test("has the seed's five Flux models and fast-flux-schnell, with their prices", () => {
    expect(FLUX_MODELS).toEqual([
      'flux-schnell',
      'fast-flux-schnell',
      'flux-dev',
      'flux-1.1-pro',
      'flux-pro',
      'flux-1.1-pro-ultra',
    ]);
    expect(PRICE_CARD['flux-schnell'].pricing).toMatchObject({ mode: 'gpu-second', microsPerGpuSecond: 7_200 });
    expect(PRICE_CARD['flux-dev'].pricing).toMatchObject({ mode: 'gpu-second', microsPerGpuSecond: 7_200 });
    expect(callCostMicros('flux-1.1-pro')).toBe(50_000);
    expect(callCostMicros('flux-pro')).toBe(69_000);
    expect(callCostMicros('flux-1.1-pro-ultra')).toBe(75_000);
  });

  test('per-second models bill GPU-seconds at $0.0072, exact to the micro-dollar', () => {
    expect(callCostMicros('flux-schnell', 1.1)).toBe(7_920);
    expect(callCostMicros('flux-dev', 2.777)).toBe(19_994);
    expect(callCostMicros('flux-schnell', 0)).toBe(0);
    expect(() => callCostMicros('flux-schnell')).toThrow(/gpuSeconds/);
    expect(() => callCostMicros('flux-dev', -1)).toThrow(RangeError);
  });

  test('averages match the seed: schnell ≈ $0.008 at 4 steps, dev ≈ $0.020 at 25 steps', () => {
    expect(Math.abs(expectedCostMicros('flux-schnell', 4) - 8_000)).toBeLessThanOrEqual(100);
    expect(Math.abs(expectedCostMicros('flux-dev', 25) - 20_000)).toBeLessThanOrEqual(100);
    expect(expectedGpuSeconds('flux-schnell', 4)).toBe(1.1);
    expect(expectedGpuSeconds('flux-1.1-pro')).toBeUndefined();
    expect(expectedCostMicros('flux-schnell', 3)).toBeLessThan(expectedCostMicros('flux-schnell', 4));
    expect(expectedCostMicros('flux-1.1-pro')).toBe(50_000);
  });

  test("fast-flux-schnell bills per GPU-second at its page's price: $0.0055 for a 4-step image of ≈2.5 s", () => {
    const fast = PRICE_CARD['fast-flux-schnell'];
    expect(fast.pricing).toMatchObject({ mode: 'gpu-second', microsPerGpuSecond: 2_200 });
    expect(fast.steps).toEqual({ min: 1, max: 8, default: 4 });
    expect(fast.averageMicros).toBe(5_500);
    expect(expectedGpuSeconds('fast-flux-schnell')).toBe(2.5);
    expect(expectedCostMicros('fast-flux-schnell', 4)).toBe(5_500);
    expect(callCostMicros('fast-flux-schnell', 2.5)).toBe(5_500);
    expect(() => callCostMicros('fast-flux-schnell')).toThrow(/gpuSeconds/);
  });

  test('a draft on either schnell model costs by its steps: fewer steps, fewer GPU-seconds', () => {
    // 1.78 s + 0.18 s a step at $0.0022/s; 0.78 s + 0.08 s a step at $0.0072/s.
    expect([1, 2, 4, 8].map((s) => expectedCostMicros('fast-flux-schnell', s))).toEqual([4_312, 4_708, 5_500, 7_084]);
    expect([1, 2, 4, 8].map((s) => expectedCostMicros('flux-schnell', s))).toEqual([6_192, 6_768, 7_920, 10_224]);
    for (const steps of [1, 2, 4, 8]) {
      expect(expectedCostMicros('fast-flux-schnell', steps)).toBeLessThan(expectedCostMicros('flux-schnell', steps));
    }
  });

  test('sums of many calls stay exact', () => {
    const total = Array.from({ length: 10_000 }, () => callCostMicros('flux-schnell', 1.1)).reduce((a, b) => a + b, 0);
    expect(total).toBe(79_200_000);
    expect(formatUsd(total, 2)).toBe('$79.20');
    expect(usdToMicros(0.00792)).toBe(7_920);
  });

  test('aspect-ratio models make about their megapixels in multiples of 16', () => {
    expect(aspectRatioSize('1:1', 1)).toEqual({ width: 1024, height: 1024 });
    const wide = aspectRatioSize('16:9', 1);
    expect(wide.width % 16).toBe(0);
    expect(wide.height % 16).toBe(0);
    expect(wide.width / wide.height).toBeCloseTo(16 / 9, 1);
    const ultra = aspectRatioSize('16:9', 4);
    expect(ultra.width * ultra.height).toBeGreaterThan(3.9e6);
  });
});

describe('request bodies', () => {
  test('schnell bodies carry prompt, steps, seed, width and height with defaults written out', () => {
    expect(toRequestBody({ model: 'flux-schnell', prompt: 'a cat', seed: 7, width: 1280, height: 720 })).toEqual({
      prompt: 'a cat',
      seed: 7,
      width: 1280,
      height: 720,
      steps: 4,
    });
  });

  test('fast-flux-schnell bodies are shaped like schnell bodies and checked against its step range', () => {
    const body = toRequestBody({ model: 'fast-flux-schnell', prompt: 'a cat', seed: 7, width: 1280, height: 720 });
    expect(body).toEqual({ prompt: 'a cat', seed: 7, width: 1280, height: 720, steps: 4 });
    expect(validateRequestBody('fast-flux-schnell', body)).toEqual([]);
    expect(validateRequestBody('fast-flux-schnell', { ...body, steps: 9 })).toEqual([
      { field: 'steps', message: 'steps must be an integer from 1 to 8, got 9' },
    ]);
  });

  test('pro bodies carry aspect_ratio, output_format and output_quality', () => {
    const body = toRequestBody({ model: 'flux-1.1-pro', prompt: 'a cat', seed: 7, aspectRatio: '16:9' });
    expect(body).toEqual({ prompt: 'a cat', seed: 7, aspect_ratio: '16:9', output_format: 'jpg', output_quality: 95 });
    expect(validateRequestBody('flux-1.1-pro', body)).toEqual([]);
    expect(nominalImageSize('flux-1.1-pro', body)).toEqual(aspectRatioSize('16:9', 1));
  });

  test('validation names each bad field and what is accepted', () => {
    const problems = validateRequestBody('flux-schnell', {
      prompt: '  ',
      steps: 9,
      width: 1000,
      height: 100,
      aspect_ratio: '16:9',
    });
    const fields = problems.map((p) => p.field).sort();
    expect(fields).toEqual(['aspect_ratio', 'height', 'prompt', 'steps', 'width']);
    expect(problems.find((p) => p.field === 'steps')?.message).toBe('steps must be an integer from 1 to 8, got 9');
    expect(problems.find((p) => p.field === 'width')?.message).toBe('width must be a multiple of 16, got 1000');
    expect(problems.find((p) => p.field === 'height')?.message).toBe(
      'height must be an integer from 256 to 2048 (a multiple of 16), got 100'
    );
    expect(problems.find((p) => p.field === 'aspect_ratio')?.message).toMatch(/not a parameter of flux-schnell/);
  });

  test('prompts over the model limit are rejected', () => {
    const problems = validateRequestBody('flux-1.1-pro', { prompt: 'x'.repeat(2_001) });
    expect(problems).toEqual([{ field: 'prompt', message: expect.stringMatching(/at most 2000 characters/) }]);
  });
});

describe('output sizes the provider chooses', () => {
  const pro = toRequestBody({ model: 'flux-1.1-pro', prompt: 'p', seed: 1, aspectRatio: '16:9' });
  const schnell = toRequestBody({ model: 'flux-schnell', prompt: 'p', seed: 1, width: 1280, height: 720 });

  test("the provider's own buckets (16:9 → 1344×768, 4:3 → 1152×896) are accepted", () => {
    expect(imageSizeProblem('flux-1.1-pro', pro, 1344, 768)).toBeUndefined();
    const fourThree = toRequestBody({ model: 'flux-1.1-pro', prompt: 'p', seed: 1, aspectRatio: '4:3' });
    expect(imageSizeProblem('flux-1.1-pro', fourThree, 1152, 896)).toBeUndefined();
    expect(imageSizeProblem('flux-1.1-pro', pro, 1360, 768)).toBeUndefined();
    expect(imageSizeProblem('flux-schnell', schnell, 1280, 720)).toBeUndefined();
    expect(imageSizeProblem('flux-schnell', schnell, 1280, 736)).toBeUndefined();
  });

  test('another shape or a much smaller image is refused, saying why', () => {
    expect(imageSizeProblem('flux-1.1-pro', pro, 1024, 1024)).toMatch(/1024×1024 is not the requested shape/);
    expect(imageSizeProblem('flux-schnell', schnell, 640, 360)).toMatch(/smaller than 85% of the requested 1280×720/);
  });
});
