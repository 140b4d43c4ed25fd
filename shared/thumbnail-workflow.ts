/** Input, result and messages of the per-thumbnail workflow. Sandbox-safe. */
import { defineQuery } from '@temporalio/workflow';
import type { GeneratedCandidate, LedgerEntry, Phase } from './generation.js';
import type { GenerationParams } from './generation-request.js';
import type { LedgerTotals } from './ledger.js';
import type { CandidateScore, ScorerInfo } from './scoring.js';

export interface ThumbnailWorkflowInput {
  batchId: string;
  thumbnailId: string;
  phase: Phase;
  /** The provider request without a seed; each candidate gets its own deterministic seed. */
  request: Omit<GenerationParams, 'seed'>;
  /** How many candidates to generate in parallel. */
  candidates: number;
}

export interface CandidateFailure {
  candidateIndex: number;
  /** Failure type from shared/failures.ts, e.g. `ProviderInvalidRequest`. */
  type: string;
  message: string;
  attempts: number;
}

export interface ScoredCandidate extends GeneratedCandidate {
  /** The gate's score (see docs/scoring.md). */
  score: number;
  scoreDetail?: CandidateScore;
}

interface ThumbnailRecord {
  batchId: string;
  thumbnailId: string;
  phase: Phase;
  /** Every candidate that was generated, in candidate order (scored when `ok`). */
  candidates: ScoredCandidate[];
  scorer?: ScorerInfo;
  /** Candidates that could not be generated, in candidate order. */
  failures: CandidateFailure[];
  /** Every billed call, usable or not: a failed thumbnail keeps what it paid for. */
  ledger: LedgerEntry[];
  totals: LedgerTotals;
}

/**
 * What a thumbnail ended as — the workflow's result and the record kept for the output writer. The
 * batch consumes it in one place (`BatchState.record`), whatever the phase.
 */
export type ThumbnailWorkflowResult =
  | (ThumbnailRecord & {
      ok: true;
      /** Index into `candidates` of the highest-scoring one. */
      best: number;
    })
  | (ThumbnailRecord & {
      ok: false;
      /** Failure type behind it (shared/failures.ts). */
      type: string;
      /** Why the thumbnail has no winner. */
      reason: string;
    });

/** The score of the winning candidate of a successful result. */
export function bestScoreOf(result: ThumbnailWorkflowResult): number | undefined {
  return result.ok ? result.candidates[result.best]?.score : undefined;
}

/**
 * Index of the highest score; the first of equals, so the choice is stable on every replay. The one
 * rule for "best candidate": the workflow picks with it and records the index in `best`.
 */
export function bestIndexOf(scores: readonly number[]): number {
  // A NaN score (a failed scoring) never wins.
  const key = (s: number | undefined): number => (s === undefined || Number.isNaN(s) ? -Infinity : s);
  let best = 0;
  scores.forEach((s, i) => {
    if (key(s) > key(scores[best])) best = i;
  });
  return best;
}

export interface ThumbnailCostView {
  thumbnailId: string;
  entries: LedgerEntry[];
  totals: LedgerTotals;
}

export const thumbnailCostQuery = defineQuery<ThumbnailCostView>('cost');
