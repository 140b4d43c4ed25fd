import { Context } from '@temporalio/activity';
import type { ApplicationFailure } from '@temporalio/common';
import { failure } from '../../shared/failures.js';
import { integerProblem } from '../../shared/validation.js';
import { isSha256Hex } from '../../shared/blob-ref.js';
import {
  resolveScoreWeights,
  type ScoreCandidatesInput,
  type ScoreCandidatesResult,
  type ScoreWeights,
} from '../../shared/scoring.js';
import { BlobNotFoundError, type BlobStore } from '../../node/blob-store.js';
import {
  DEFAULT_AESTHETIC_PROMPTS,
  checkAestheticPrompts,
  aestheticMethodFromEnv,
  type AestheticMethod,
  type AntonymPair,
} from './aesthetic.js';
import { ImageRejectedError } from './decode-image.js';
import { AestheticHeadMismatchError, loadAestheticHead, type AestheticHead } from './laion-head.js';
import { ClipModelUnavailableError } from './model/errors.js';
import type { ClipModelProvider } from './model/provider.js';
import type { OcrPool } from './ocr-pool.js';
import { scoreImages } from './score-images.js';
import { DEFAULT_TECHNICAL_WEIGHTS, type TechnicalWeights } from './technical-quality.js';

export interface ScoringDeps {
  store: BlobStore;
  /** Usually `sharedClipModelProvider(clipModelConfigFromEnv())`: one model per process. */
  model: ClipModelProvider;
  /** The worker's default weights; a call may override them. */
  weights?: Partial<ScoreWeights>;
  /**
   * How the aesthetic component is made: `laion` (the LAION head, default) or `clip-iqa`. Default:
   * `THUMBGATE_AESTHETIC`, else `laion`.
   */
  aesthetic?: AestheticMethod;
  /** The LAION head (default: models/laion-aesthetic); read only with the `laion` method. */
  aestheticHead?: AestheticHead;
  /**
   * OCR for the requested-text check (one pool per process, started on first use; the worker
   * terminates it at shutdown). Without it, requested text is not measured.
   */
  ocr?: Pick<OcrPool, 'recognize'>;
  /** The CLIP-IQA prompt pairs; read only with the `clip-iqa` method. */
  aestheticPrompts?: readonly AntonymPair[];
  technicalWeights?: TechnicalWeights;
}

function invalidInput(message: string): ApplicationFailure {
  return failure('ScoringInvalidInput', message);
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
  if ((input.width === undefined) !== (input.height === undefined)) {
    throw invalidInput('width and height go together: give both or neither');
  }
  for (const side of ['width', 'height'] as const) {
    const problem = input[side] === undefined ? undefined : integerProblem(side, input[side], { min: 1 });
    if (problem) throw invalidInput(problem);
  }
}

/**
 * Heartbeats while `work` runs, so a crashed scoring worker is noticed within the heartbeat timeout
 * rather than after the whole start-to-close timeout (a no-op outside an activity, as in unit tests).
 */
async function heartbeating<T>(work: Promise<T>): Promise<T> {
  const ctx = activityContext();
  if (!ctx) return work;
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(), HEARTBEAT_MS);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

const HEARTBEAT_MS = 5_000;

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

export function createScoringActivities(deps: ScoringDeps) {
  const baseWeights = resolveScoreWeights(deps.weights);
  const aestheticPrompts = deps.aestheticPrompts ?? DEFAULT_AESTHETIC_PROMPTS;
  const technicalWeights = deps.technicalWeights ?? DEFAULT_TECHNICAL_WEIGHTS;
  // The head is read when the worker starts, so a missing or malformed head stops it there; whether
  // the head belongs to the model is checked once the model is loaded (scoreImages).
  const method = deps.aesthetic ?? aestheticMethodFromEnv();
  const aestheticHead = method === 'laion' ? (deps.aestheticHead ?? loadAestheticHead()) : undefined;
  // Checked when the worker starts, not at its first scoring.
  if (!aestheticHead) checkAestheticPrompts(aestheticPrompts);

  /**
   * Scores the candidates of one thumbnail: one entry per image, in order, each with its score in
   * [0, 1] and the components behind it. Bad input, a missing model and bad images fail
   * non-retryably (retrying cannot fix them); anything else is retried by Temporal.
   */
  function scoreCandidates(input: ScoreCandidatesInput): Promise<ScoreCandidatesResult> {
    return heartbeating(score(input));
  }

  async function score(input: ScoreCandidatesInput): Promise<ScoreCandidatesResult> {
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
          throw failure(err.transient ? 'ScoringModelDownloadFailed' : 'ScoringModelUnavailable', err.message);
        }
        throw err;
      }),
      Promise.all(
        input.images.map(async (ref, i) => {
          try {
            return { bytes: await deps.store.get(ref), sha256: ref.sha256 };
          } catch (err) {
            if (err instanceof BlobNotFoundError) {
              throw failure('ScoringImageMissing', `images[${i}]: ${err.message}`);
            }
            throw err;
          }
        })
      ),
    ]);
    const cancellation = activityContext()?.cancellationSignal;
    try {
      const expected =
        input.width !== undefined && input.height !== undefined
          ? { width: input.width, height: input.height }
          : undefined;
      return await scoreImages(model, input.prompt, images, expected, {
        weights,
        aestheticPrompts,
        technicalWeights,
        ...(aestheticHead ? { aestheticHead } : {}),
        ...(deps.ocr ? { ocr: deps.ocr } : {}),
        // Cancelled, timed out or its worker shutting down: OCR still waiting for this call's
        // images is dropped rather than kept busy for nothing (it would hold up the retry).
        ...(cancellation ? { signal: cancellation } : {}),
      });
    } catch (err) {
      if (err instanceof ImageRejectedError) {
        throw failure(err.problem === 'wrong-size' ? 'ScoringWrongImageSize' : 'ScoringInvalidImage', err.message);
      }
      // The configured CLIP is not the one the LAION head was trained on: a configuration error that
      // no retry fixes, reported like a missing model (the message says what to change).
      if (err instanceof AestheticHeadMismatchError) throw failure('ScoringAestheticHeadMismatch', err.message);
      throw err;
    }
  }

  return { scoreCandidates };
}
