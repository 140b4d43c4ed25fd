import { ApplicationFailure } from '@temporalio/common';
import { isSha256Hex } from '../../shared/blob-ref.js';
import {
  resolveScoreWeights,
  type ScoreCandidatesInput,
  type ScoreCandidatesResult,
  type ScoreWeights,
} from '../../shared/scoring.js';
import { BlobNotFoundError, type BlobStore } from '../blob-store.js';
import { DEFAULT_AESTHETIC_PROMPTS, type AntonymPair } from './aesthetic.js';
import { ImageRejectedError } from './decode-image.js';
import { ClipModelUnavailableError } from './model-errors.js';
import type { ClipModelProvider } from './model-provider.js';
import { scoreImages } from './score-images.js';
import { DEFAULT_TECHNICAL_WEIGHTS, type TechnicalWeights } from './technical-quality.js';

/** ApplicationFailure types the scoring activity fails with; none of them is retried. */
export const SCORING_FAILURES = {
  invalidInput: 'ScoringInvalidInput',
  modelUnavailable: 'ScoringModelUnavailable',
  imageMissing: 'ScoringImageMissing',
  invalidImage: 'ScoringInvalidImage',
  wrongImageSize: 'ScoringWrongImageSize',
} as const;

export interface ScoringDeps {
  store: BlobStore;
  /** Usually `sharedClipModelProvider(clipModelConfigFromEnv())`: one model per process. */
  model: ClipModelProvider;
  /** The worker's default weights; a call may override them. */
  weights?: Partial<ScoreWeights>;
  aestheticPrompts?: readonly AntonymPair[];
  technicalWeights?: TechnicalWeights;
}

function invalidInput(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, SCORING_FAILURES.invalidInput);
}

function validate(input: ScoreCandidatesInput): void {
  if (typeof input !== 'object' || input === null) throw invalidInput('scoreCandidates input must be an object');
  if (typeof input.prompt !== 'string' || input.prompt.trim() === '') {
    throw invalidInput('prompt must be a non-empty string');
  }
  if (!Array.isArray(input.images) || input.images.length === 0) {
    throw invalidInput('images must be a non-empty array of blob references');
  }
  input.images.forEach((ref, i) => {
    if (typeof ref?.sha256 !== 'string' || !isSha256Hex(ref.sha256)) {
      throw invalidInput(`images[${i}].sha256 must be lower-case hex sha256, got ${JSON.stringify(ref?.sha256)}`);
    }
  });
  for (const side of ['width', 'height'] as const) {
    const v = input[side];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      throw invalidInput(`${side} must be a positive integer, got ${JSON.stringify(v)}`);
    }
  }
}

export function createScoringActivities(deps: ScoringDeps) {
  const baseWeights = resolveScoreWeights(deps.weights);
  const aestheticPrompts = deps.aestheticPrompts ?? DEFAULT_AESTHETIC_PROMPTS;
  if (aestheticPrompts.length === 0) throw new RangeError('aestheticPrompts must hold at least one pair');
  const technicalWeights = deps.technicalWeights ?? DEFAULT_TECHNICAL_WEIGHTS;

  /**
   * Scores the candidates of one thumbnail: one entry per image, in order, each with its score in
   * [0, 1] and the components behind it. Bad input, a missing model and bad images fail
   * non-retryably (retrying cannot fix them); anything else is retried by Temporal.
   */
  async function scoreCandidates(input: ScoreCandidatesInput): Promise<ScoreCandidatesResult> {
    validate(input);
    let weights: ScoreWeights;
    try {
      weights = resolveScoreWeights(input.weights ?? {}, baseWeights);
    } catch (err) {
      throw invalidInput((err as Error).message);
    }
    const [model, images] = await Promise.all([
      deps.model.get().catch((err: unknown) => {
        if (err instanceof ClipModelUnavailableError) {
          throw ApplicationFailure.nonRetryable(err.message, SCORING_FAILURES.modelUnavailable);
        }
        throw err;
      }),
      Promise.all(
        input.images.map(async (ref, i) => {
          try {
            return { bytes: await deps.store.get(ref), sha256: ref.sha256 };
          } catch (err) {
            if (err instanceof BlobNotFoundError) {
              throw ApplicationFailure.nonRetryable(`images[${i}]: ${err.message}`, SCORING_FAILURES.imageMissing);
            }
            throw err;
          }
        })
      ),
    ]);
    try {
      return await scoreImages(model, input.prompt, images, input, { weights, aestheticPrompts, technicalWeights });
    } catch (err) {
      if (err instanceof ImageRejectedError) {
        const type = err.problem === 'wrong-size' ? SCORING_FAILURES.wrongImageSize : SCORING_FAILURES.invalidImage;
        throw ApplicationFailure.nonRetryable(err.message, type);
      }
      throw err;
    }
  }

  return { scoreCandidates };
}
