/**
 * Simulated GPU time of one generation. Per-second models are billed on it, so it follows the
 * emulator's own price list: `typicalGpuSeconds(model, steps)` (0.78 s + 0.08 s/step, ≈1.1 s for 4 schnell
 * steps; 1.78 s + 0.18 s/step, ≈2.5 s, on fast-flux-schnell) times a seeded jitter of ±4 %, optionally
 * scaled by megapixels relative to 1 MP, and rounded to the millisecond before any cost is computed
 * (the header carries 3 decimals, and the client recomputes nothing from a longer number than it sees).
 *
 * Flat-priced models report a plausible generation time (pro 3–5 s, ultra 6–10 s) that is
 * shown in `x-generation-time` and drives latency, but is never billed.
 */
import { PROVIDER_MODELS, typicalGpuSeconds, type EmulatedModel } from './models.js';
import { unitFloat } from './prng.js';

export const GPU_TIME_JITTER = 0.04;

export interface GpuTimeInput {
  model: EmulatedModel;
  seed: number;
  width: number;
  height: number;
  /** Steps actually run (the model default when the body omits them). */
  steps?: number;
}

export function simulateGpuSeconds(input: GpuTimeInput, scaleByMegapixels = false): number {
  const { model, seed, width, height, steps } = input;
  const u = unitFloat('gpu-time', model, steps, seed, width, height);
  const spec = PROVIDER_MODELS[model];
  let seconds: number;
  if (spec.price.mode === 'gpu-second') {
    const typical = typicalGpuSeconds(model, steps) as number;
    const scale = scaleByMegapixels ? (width * height) / (1024 * 1024) : 1;
    seconds = typical * scale * (1 + (2 * u - 1) * GPU_TIME_JITTER);
  } else {
    seconds = model === 'flux-1.1-pro-ultra' ? 6 + 4 * u : 3 + 2 * u;
  }
  return Math.max(0.001, Math.round(seconds * 1000) / 1000);
}
