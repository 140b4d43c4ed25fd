/**
 * Expected cost of the gate strategy, from the seed's average prices: what `thumbgate estimate`
 * prints and what a batch compares its actual spend with. Pure and sandbox-safe.
 */
import type { BatchOptions } from './batch-options.js';
import { PRICE_CARD, expectedGpuSeconds, type FluxModel } from './price-card.js';

/**
 * One draft image. The seed quotes its average at the model's default step count; per-second
 * models bill GPU time, which is a fixed part plus a part per step (price-card.ts), so other
 * step counts scale the average by their expected GPU time.
 */
export function draftCostMicros(model: FluxModel, steps?: number): number {
  const spec = PRICE_CARD[model];
  if (!spec.steps || spec.pricing.mode === 'flat' || steps === undefined) return spec.averageMicros;
  const at = expectedGpuSeconds(model, steps)!;
  const atDefault = expectedGpuSeconds(model, spec.steps.default)!;
  return Math.round((spec.averageMicros * at) / atDefault);
}

/** One re-roll: the flat fee of a flat-priced model, the seed's average for a per-second one. */
export function rerollCostMicros(model: FluxModel): number {
  const pricing = PRICE_CARD[model].pricing;
  return pricing.mode === 'flat' ? pricing.microsPerImage : PRICE_CARD[model].averageMicros;
}

/** candidates × one draft + rerollFraction × one re-roll, to the micro-dollar: $0.037 at the defaults. */
export function gatePerThumbnailMicros(
  options: Pick<BatchOptions, 'candidates' | 'draftModel' | 'draftSteps' | 'rerollModel' | 'rerollFraction'>
): number {
  const steps = PRICE_CARD[options.draftModel].steps ? options.draftSteps : undefined;
  return (
    options.candidates * draftCostMicros(options.draftModel, steps) +
    Math.round(options.rerollFraction * rerollCostMicros(options.rerollModel))
  );
}
