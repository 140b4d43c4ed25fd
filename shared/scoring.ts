/**
 * Input, result and formula of CLIP scoring. Sandbox-safe (no Node imports): the thumbnail workflow
 * reads results and may recombine components with other weights; the scoring activity produces them.
 * The formula and its sources are documented in docs/scoring.md.
 */
import type { BlobRef } from './blob-ref.js';
import { withoutUndefined } from './validation.js';

/**
 * Relative weights of the components; they need not sum to 1 (the score divides by the sum of the
 * weights of the components that were measured). `text` counts only for prompts that ask for text in
 * a script the OCR data reads.
 */
export interface ScoreWeights {
  aesthetic: number;
  alignment: number;
  technical: number;
  text: number;
}

/**
 * Prompt alignment and aesthetics decide most; technical quality breaks ties between similar drafts;
 * requested text, when asked for, weighs a little less than either (OCR half-reads some legible text).
 */
export const DEFAULT_SCORE_WEIGHTS: Readonly<ScoreWeights> = Object.freeze({
  aesthetic: 0.4,
  alignment: 0.4,
  technical: 0.2,
  text: 0.3,
});

/**
 * The requested-text check of one candidate: what the prompt asked for in quotes, what OCR read, and
 * 1 − normalised word edit distance between them; or why it was not measured (never a low score).
 */
export type TextCheck =
  | { requested: string; measured: true; read: string; fidelity: number }
  | { requested: string; measured: false; reason: string };

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
  /** Weighted mean of the sub-metrics, in [0, 1]. */
  score: number;
  /** From the Laplacian variance the edges explain, not the noise (docs/scoring.md). */
  sharpness: number;
  /**
   * 1 for a clean image, falling with the estimated noise sigma; absent in results made before the
   * noise measure (their score has four sub-metrics).
   */
  noise?: number;
  exposure: number;
  contrast: number;
  colourfulness: number;
  raw: {
    /** Variance of the 4-neighbour Laplacian of luma (0–255) at the analysis size. */
    laplacianVariance: number;
    /** The part of it the edges explain: less (MAD/0.6745)², the part the Gaussian bulk explains. */
    edgeVariance?: number;
    /** Estimated luma noise sigma (0–255, white-noise equivalent) at the analysis size. */
    noiseSigma?: number;
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
  /**
   * Weighted combination of the components, in [0, 1]; in [−1, 0) when the candidate has a fault
   * (misspelt requested text: {@link combineScore}).
   */
  score: number;
  /**
   * The aesthetic component, in [0, 1]: by default the LAION head's rating through
   * {@link aestheticFromRating}; with the `clip-iqa` method, the antonym-prompt probability of the
   * positive prompts. {@link ScorerInfo.aesthetic} says which.
   */
  aesthetic: number;
  /**
   * The LAION aesthetic head's raw rating (roughly 1–10 on real images, may fall outside), present
   * when the head made `aesthetic`; absent with CLIP-IQA.
   */
  aestheticRating?: number;
  alignment: AlignmentScore;
  technical: TechnicalQuality;
  /** The requested-text check, when the prompt asks for text in quotes. */
  text?: TextCheck;
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
  /** The antonym prompt pairs behind `aesthetic` with CLIP-IQA; empty when the LAION head made it. */
  aestheticPrompts: [positive: string, negative: string][];
  /** How `aesthetic` was made (absent in results made before the LAION head was the default: CLIP-IQA). */
  aesthetic?: AestheticInfo;
}

/** The aesthetic method behind a set of scores. */
export type AestheticInfo =
  | {
      method: 'laion';
      /** The head's name (from its config.json) and the CLIP it is bound to. */
      head: string;
      clipModel: string;
      /** The rating → [0, 1] curve, as a formula. */
      curve: string;
    }
  | { method: 'clip-iqa' };

export interface ScoreCandidatesResult {
  scorer: ScorerInfo;
  /** One entry per input image, in input order. */
  scores: CandidateScore[];
}

/**
 * The LAION rating → [0, 1] curve: a logistic centred on 5.5 (the middle of the 1–10 scale) with
 * scale 1.5 rating points. Why this curve: docs/scoring.md.
 */
export const LAION_RATING_CURVE = Object.freeze({ centre: 5.5, scale: 1.5 });

/** 1 / (1 + e^−(rating − 5.5) / 1.5): monotone, in (0, 1) for every finite rating. */
export function aestheticFromRating(rating: number): number {
  return 1 / (1 + Math.exp(-(rating - LAION_RATING_CURVE.centre) / LAION_RATING_CURVE.scale));
}

/** What a UI or CLI shows next to scores whose result has `randomWeights: true`. */
export const RANDOM_WEIGHTS_NOTICE = 'scores from random weights, not quality judgements';

export interface ScoreComponents {
  aesthetic: number;
  alignment: number;
  technical: number;
  /** Text fidelity, when measured; left out of the weighted mean otherwise. */
  text?: number;
}

/**
 * Weights with defaults filled; throws RangeError on negative or non-finite weights, and when
 * aesthetic, alignment and technical are all 0.
 */
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
    // Text is measured only when a prompt quotes text, so it cannot carry the score alone.
    throw new RangeError('score weights aesthetic, alignment and technical must not all be 0');
  }
  return weights;
}

/**
 * Text fidelity below which the requested text counts as misspelt: a fault of the candidate, not a
 * low component. On the emulator's drafts OCR measured misspelt lettering at 0.20–0.43 and correct
 * lettering at 0.72–0.80 (issue 19); 0.575 is the middle of that gap, 0.145 from either side, so OCR
 * half-reading correct lettering a little worse than seen, or a misspelling a little better, does not
 * cross it. A fault only where the check was measured: text OCR cannot read is never one.
 */
export const TEXT_FAULT_BELOW = 0.575;

/**
 * What a fault takes off the score: 1, so a faulty candidate's score lies in [−1, 0) and ranks below
 * every candidate without one (in [0, 1]), while faulty candidates still rank among themselves by the
 * same weighted mean.
 */
export const FAULT_PENALTY = 1;

/** Whether a measured text fidelity is misspelt requested text (undefined: not measured, no fault). */
export function isTextFault(fidelity: number | undefined): boolean {
  return fidelity !== undefined && fidelity < TEXT_FAULT_BELOW;
}

/**
 * The score: weighted mean of the measured components, each in [0, 1], so the score is in [0, 1] —
 * less {@link FAULT_PENALTY} for a candidate whose requested text is misspelt ({@link isTextFault}).
 * An unmeasured text component is left out (the other weights are renormalised), never counted as 0.
 */
export function combineScore(components: ScoreComponents, weights: ScoreWeights): number {
  const text = components.text === undefined ? 0 : weights.text;
  const total = weights.aesthetic + weights.alignment + weights.technical + text;
  const mean =
    (weights.aesthetic * components.aesthetic +
      weights.alignment * components.alignment +
      weights.technical * components.technical +
      text * (components.text ?? 0)) /
    total;
  return isTextFault(components.text) ? mean - FAULT_PENALTY : mean;
}

/** CLIPScore with w = 2.5, and the [0, 1] value that enters the score. */
export function alignmentFromCosine(cosine: number): AlignmentScore {
  const clipScore = 2.5 * Math.max(cosine, 0);
  return { cosine, clipScore, normalized: Math.min(clipScore, 1) };
}
