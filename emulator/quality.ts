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

/** Share of draft images with a pixel defect under {@link DRAFT_DEFECT_RATES}: 0.6. */
export const DEFAULT_DRAFT_DEFECT_RATE = 1 - DRAFT_DEFECT_RATES.clean;

/** The emulator's draft rates (`draftDefectRate`, `misspellingRate`) are shares: throws, naming `name`, unless 0–1. */
export function checkRate(name: string, value: number): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new RangeError(`${name} must be a number from 0 to 1, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * The outcome distribution for a draft defect rate (the share of drafts that are not clean): the
 * defects keep their relative weights from {@link DRAFT_DEFECT_RATES}, so a better or worse
 * provider (a world of the gate benchmark, `--draft-defect-rate`) differs in how often, not how.
 */
export function draftDefectRates(defectRate: number): Readonly<Record<Defect, number>> {
  checkRate('draftDefectRate', defectRate);
  const scale = defectRate / DEFAULT_DRAFT_DEFECT_RATE;
  const rates = Object.fromEntries(DEFECTS.map((d) => [d, DRAFT_DEFECT_RATES[d] * scale])) as Record<Defect, number>;
  rates.clean = 1 - defectRate;
  return rates;
}

export const DRAFT_MODELS: ReadonlySet<EmulatedModel> = new Set(['flux-schnell', 'fast-flux-schnell', 'flux-dev']);

export interface QualityDraw {
  defect: Defect;
  /** 0.6–1.0: how strongly the defect is applied (0 for clean). */
  severity: number;
}

/** `rates` defaults to {@link DRAFT_DEFECT_RATES} (see {@link draftDefectRates} for another defect rate). */
export function drawQuality(
  model: EmulatedModel,
  prompt: string,
  seed: number,
  rates: Readonly<Record<Defect, number>> = DRAFT_DEFECT_RATES
): QualityDraw {
  if (!DRAFT_MODELS.has(model)) return { defect: 'clean', severity: 0 };
  const rand = mulberry32(hashSeed('quality', model, prompt, seed));
  const u = rand();
  let acc = 0;
  for (const defect of DEFECTS) {
    acc += rates[defect];
    if (u < acc) return { defect, severity: defect === 'clean' ? 0 : 0.6 + 0.4 * rand() };
  }
  return { defect: 'clean', severity: 0 };
}
