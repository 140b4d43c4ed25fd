/**
 * Technical quality of an emulated image. Draft models (flux-schnell, flux-dev) are cheap and
 * uneven: a seeded draw over (model, prompt, seed) gives the distribution below, so a batch of
 * drafts has a realistic tail for the quality gate to catch. Pro models are always clean.
 */
import type { EmulatedModel } from './models.js';
import { mulberry32, hashSeed } from './prng.js';

export const DEFECTS = ['clean', 'blurred', 'noisy', 'low-contrast', 'underexposed', 'overexposed'] as const;
export type Defect = (typeof DEFECTS)[number];

/** Probability of each outcome for draft models; sums to 1. */
export const DRAFT_DEFECT_RATES: Readonly<Record<Defect, number>> = {
  clean: 0.4,
  blurred: 0.15,
  noisy: 0.15,
  'low-contrast': 0.1,
  underexposed: 0.1,
  overexposed: 0.1,
};

export const DRAFT_MODELS: ReadonlySet<EmulatedModel> = new Set(['flux-schnell', 'flux-dev']);

export interface QualityDraw {
  defect: Defect;
  /** 0.6–1.0: how strongly the defect is applied (0 for clean). */
  severity: number;
}

export function drawQuality(model: EmulatedModel, prompt: string, seed: number): QualityDraw {
  if (!DRAFT_MODELS.has(model)) return { defect: 'clean', severity: 0 };
  const rand = mulberry32(hashSeed('quality', model, prompt, seed));
  const u = rand();
  let acc = 0;
  for (const defect of DEFECTS) {
    acc += DRAFT_DEFECT_RATES[defect];
    if (u < acc) return { defect, severity: defect === 'clean' ? 0 : 0.6 + 0.4 * rand() };
  }
  return { defect: 'clean', severity: 0 };
}
