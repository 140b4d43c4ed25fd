/**
 * Input, result and formula of CLIP scoring. Sandbox-safe (no Node imports): the thumbnail workflow
 * reads results and may recombine components with other weights; the scoring activity produces them.
 * The formula and its sources are documented in docs/scoring.md.
 */
import type { BlobRef } from './blob-ref.js';
import { withoutUndefined } from './validation.js';

/** Relative weights of the three components; they need not sum to 1 (the score divides by their sum). */
export interface ScoreWeights {
  aesthetic: number;
  alignment: number;
  technical: number;
}

/** Prompt alignment and aesthetics decide most; technical quality breaks ties between similar drafts. */
export const DEFAULT_SCORE_WEIGHTS: Readonly<ScoreWeights> = Object.freeze({
  aesthetic: 0.4,
  alignment: 0.4,
  technical: 0.2,
});

export interface ScoreCandidatesInput {
  /** The prompt the candidates were generated from (what alignment is measured against). */
  prompt: string;
  /** The candidates of one thumbnail, scored together as one batch. */
  images: BlobRef[];
  /**
   * The size every candidate must have, when the caller knows it; any other size fails non-retryably.
   * The thumbnail workflow leaves it out: the provider chooses output sizes, and the generation
   * activity has already accepted each image's size.
   */
  width?: number;
  height?: number;
  /** Overrides of the worker's weights for this call. */
  weights?: Partial<ScoreWeights>;
}

/** Each sub-metric is in [0, 1], higher is better; `raw` holds the measured values the curves map. */
export interface TechnicalQuality {
  /** Weighted mean of the four sub-metrics, in [0, 1]. */
  score: number;
  sharpness: number;
  exposure: number;
  contrast: number;
  colourfulness: number;
  raw: {
    /** Variance of the 4-neighbour Laplacian of luma (0–255) at the analysis size. */
    laplacianVariance: number;
    /** Mean luma, 0–1. */
    meanLuminance: number;
    /** Share of pixels with luma at or below 2/255 or at or above 253/255. */
    clippedFraction: number;
    /** Standard deviation of luma, 0–1. */
    rmsContrast: number;
    /** Hasler–Süsstrunk M (0–255 scale; about 33 "moderately", 59 "highly" colourful). */
    colourfulness: number;
  };
}

export interface AlignmentScore {
  /** Cosine similarity of the L2-normalised image and prompt embeddings, -1 to 1. */
  cosine: number;
  /** CLIPScore (Hessel et al. 2021): 2.5 × max(cosine, 0), 0 to 2.5. */
  clipScore: number;
  /** What enters the score: min(clipScore, 1), in [0, 1]. */
  normalized: number;
}

export interface CandidateScore {
  /** Position in the input's `images`. */
  index: number;
  sha256: string;
  /** Weighted combination of the components, in [0, 1]. */
  score: number;
  /** CLIP-IQA antonym-prompt probability of the positive prompts, in [0, 1]. */
  aesthetic: number;
  alignment: AlignmentScore;
  technical: TechnicalQuality;
  /** Copied from {@link ScorerInfo.randomWeights} so a stored score carries the warning with it. */
  randomWeights: boolean;
}

/** Which model and weights made a set of scores. */
export interface ScorerInfo {
  /** The model that made the CLIP components (e.g. `Xenova/clip-vit-base-patch32`). */
  modelId: string;
  /**
   * True when the model's weights are random (the project's generated test models): the scores
   * are then not quality judgements, and everything that shows them must say so.
   */
  randomWeights: boolean;
  weights: ScoreWeights;
  /** The antonym prompt pairs behind `aesthetic`. */
  aestheticPrompts: [positive: string, negative: string][];
}

export interface ScoreCandidatesResult {
  scorer: ScorerInfo;
  /** One entry per input image, in input order. */
  scores: CandidateScore[];
}

/** What a UI or CLI shows next to scores whose result has `randomWeights: true`. */
export const RANDOM_WEIGHTS_NOTICE = 'scores from random weights, not quality judgements';

export interface ScoreComponents {
  aesthetic: number;
  alignment: number;
  technical: number;
}

/** Weights with defaults filled; throws RangeError on negative, non-finite or all-zero weights. */
export function resolveScoreWeights(
  partial: Partial<ScoreWeights> = {},
  base: ScoreWeights = DEFAULT_SCORE_WEIGHTS
): ScoreWeights {
  const weights = { ...base, ...withoutUndefined(partial) };
  for (const [name, value] of Object.entries(weights)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new RangeError(`score weight ${name} must be a finite number >= 0, got ${JSON.stringify(value)}`);
    }
  }
  if (weights.aesthetic + weights.alignment + weights.technical <= 0) {
    throw new RangeError('at least one score weight must be greater than 0');
  }
  return weights;
}

/** The score: weighted mean of components that are each in [0, 1], so the score is in [0, 1] too. */
export function combineScore(components: ScoreComponents, weights: ScoreWeights): number {
  const total = weights.aesthetic + weights.alignment + weights.technical;
  return (
    (weights.aesthetic * components.aesthetic +
      weights.alignment * components.alignment +
      weights.technical * components.technical) /
    total
  );
}

/** CLIPScore with w = 2.5, and the [0, 1] value that enters the score. */
export function alignmentFromCosine(cosine: number): AlignmentScore {
  const clipScore = 2.5 * Math.max(cosine, 0);
  return { cosine, clipScore, normalized: Math.min(clipScore, 1) };
}
