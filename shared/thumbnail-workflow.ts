/** Input, result and messages of the per-thumbnail workflow. Sandbox-safe. */
import { defineQuery } from '@temporalio/workflow';
import type { GeneratedCandidate, LedgerEntry, Phase } from './generation.js';
import type { GenerationParams } from './generation-request.js';
import type { LedgerTotals } from './ledger.js';
import type { RetrySettings } from './retry.js';

export interface ThumbnailWorkflowInput {
  batchId: string;
  thumbnailId: string;
  phase: Phase;
  /** The provider request without a seed; each candidate gets its own deterministic seed. */
  request: Omit<GenerationParams, 'seed'>;
  /** How many candidates to generate in parallel. */
  candidates: number;
  retry?: Partial<RetrySettings>;
}

export interface CandidateFailure {
  candidateIndex: number;
  /** ApplicationFailure type, e.g. `SegmindInvalidRequest`. */
  type: string;
  message: string;
  attempts: number;
}

export interface ThumbnailWorkflowResult {
  thumbnailId: string;
  phase: Phase;
  candidates: GeneratedCandidate[];
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
