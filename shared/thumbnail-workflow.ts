/** Input, result and messages of the per-thumbnail workflow. Sandbox-safe. */
import { defineQuery } from '@temporalio/workflow';
import type { GeneratedCandidate, LedgerEntry, Phase } from './generation.js';
import type { GenerationParams } from './generation-request.js';
import type { LedgerTotals } from './ledger.js';
import type { RetrySettings } from './retry.js';
import type { CandidateScore, ScorerInfo } from './scoring.js';

export interface ThumbnailWorkflowInput {
  batchId: string;
  thumbnailId: string;
  phase: Phase;
  /** The provider request without a seed; each candidate gets its own deterministic seed. */
  request: Omit<GenerationParams, 'seed'>;
  /** How many candidates to generate in parallel. */
  candidates: number;
  retry?: Partial<RetrySettings>;
  /** Score the candidates with the CLIP activity and pick the best (default true). */
  score?: boolean;
  /** Keep the full result in the store for the output writer (default true). */
  saveResult?: boolean;
}

export interface CandidateFailure {
  candidateIndex: number;
  /** ApplicationFailure type, e.g. `SegmindInvalidRequest`. */
  type: string;
  message: string;
  attempts: number;
}

export interface ScoredCandidate extends GeneratedCandidate {
  /** The gate's score (see docs/scoring.md); absent when scoring was off. */
  score?: number;
  scoreDetail?: CandidateScore;
}

export interface ThumbnailWorkflowResult {
  batchId: string;
  thumbnailId: string;
  phase: Phase;
  status: 'ok' | 'failed';
  /** Why the thumbnail has no winner, when status is `failed`. */
  reason?: string;
  /** ApplicationFailure type behind a failed status (e.g. `SegmindKeyRejected`, `ScoringModelUnavailable`). */
  failureType?: string;
  candidates: ScoredCandidate[];
  /** Index into `candidates` of the highest-scoring one. */
  best?: number;
  scorer?: ScorerInfo;
  failures: CandidateFailure[];
  ledger: LedgerEntry[];
  totals: LedgerTotals;
}

export interface ThumbnailCostView {
  thumbnailId: string;
  entries: LedgerEntry[];
  totals: LedgerTotals;
}

export const thumbnailCostQuery = defineQuery<ThumbnailCostView>('cost');
