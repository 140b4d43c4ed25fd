/**
 * Failures that doom every thumbnail of a batch, not just one: the batch stops at the first of them
 * instead of paying for drafts it cannot finish. Restarting the batch with the same id after the fix
 * reuses every draft already paid for (candidates are stored under deterministic keys).
 */
import type { SCORING_FAILURES } from '../activities/scoring/score-candidates.js';
import type { SegmindErrorKind } from '../activities/segmind/errors.js';

type FatalFailure = SegmindErrorKind | (typeof SCORING_FAILURES)[keyof typeof SCORING_FAILURES];

export const BATCH_FATAL_FAILURES: ReadonlySet<string> = new Set<FatalFailure>([
  'SegmindKeyRejected',
  'SegmindInsufficientCredits',
  'ScoringModelUnavailable',
]);

/** What the operator should do about each of them. */
export const FATAL_FAILURE_FIX: Readonly<Record<string, string>> = {
  SegmindKeyRejected: 'fix SEGMIND_API_KEY in the worker environment',
  SegmindInsufficientCredits: 'top up Segmind credits',
  ScoringModelUnavailable: 'provide the CLIP model to the scoring worker (see `thumbgate models pull`)',
};
