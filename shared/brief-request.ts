import type { GenerationParams } from './generation-request.js';
import { PRICE_CARD, type FluxModel } from './price-card.js';
import { rerollAspectRatio, type ThumbnailBrief } from './thumbnail-brief.js';

/**
 * The provider request (without seed) that makes a brief on a model: pixel-sized models get the
 * brief's size, aspect-ratio models the nearest ratio they offer (the winner is fitted to the
 * brief's size when outputs are written).
 */
export function requestForBrief(
  brief: ThumbnailBrief,
  model: FluxModel,
  steps?: number
): Omit<GenerationParams, 'seed'> {
  const spec = PRICE_CARD[model];
  const sizing =
    spec.size.kind === 'pixels'
      ? { width: brief.width, height: brief.height }
      : { aspectRatio: rerollAspectRatio(brief.width, brief.height) };
  return { model, prompt: brief.prompt, ...sizing, ...(spec.steps && steps !== undefined ? { steps } : {}) };
}
