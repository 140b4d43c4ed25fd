import type { GenerationParams } from '../../shared/generation-request.js';

/** A small flux-schnell request (448×256, 4 steps) for the Segmind client's tests; `extra` overrides. */
export function schnellParams(seed = 1, extra: Partial<GenerationParams> = {}): GenerationParams {
  return {
    model: 'flux-schnell',
    prompt: 'a robot unboxing a mystery gadget',
    seed,
    width: 448,
    height: 256,
    steps: 4,
    ...extra,
  };
}
