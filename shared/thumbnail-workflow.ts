/** Input, result and messages of the per-thumbnail workflow. Sandbox-safe. */
import { defineQuery } from '@temporalio/workflow';
import type { GeneratedCandidate, LedgerEntry, Phase } from './generation.js';
import { CANDIDATES_RANGE } from './batch-options.js';
import { isSha256Hex } from './blob-ref.js';
import { toRequestBody, validateRequestBody, type GenerationParams } from './generation-request.js';
import { FLUX_MODELS, isFluxModel } from './price-card.js';
import { SAFE_ID_RULE, isSafeId, thumbnailIdProblem } from './thumbnail-brief.js';
import { integerProblem, invalidParameter } from './validation.js';
import type { LedgerTotals } from './ledger.js';
import type { CandidateScore, ScorerInfo } from './scoring.js';

export interface ThumbnailWorkflowInput {
  batchId: string;
  /**
   * sha256 of the batch's stored manifest: records are kept per (batch id, manifest), so another
   * manifest started under an old batch id never inherits that batch's ledgers or results.
   */
  manifestSha256: string;
  thumbnailId: string;
  phase: Phase;
  /** The provider request without a seed; each candidate gets its own deterministic seed. */
  request: Omit<GenerationParams, 'seed'>;
  /** How many candidates to generate in parallel. */
  candidates: number;
  /**
   * The most this thumbnail may commit to provider calls (booked plus under way at the price card),
   * granted by the batch's budget; absent: no limit. A call that would pass it is not started.
   */
  allowanceMicros?: number;
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

/** Where a thumbnail's record is kept: one per (batch, manifest, thumbnail, phase). */
export interface ThumbnailSlot {
  batchId: string;
  manifestSha256: string;
  thumbnailId: string;
  phase: Phase;
}

interface ThumbnailRecord {
  batchId: string;
  manifestSha256: string;
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

/**
 * Every problem with a thumbnail workflow's input (empty when valid). The workflow checks it itself:
 * anyone who can reach Temporal can start one, and `candidates: 10000` on the priciest model would
 * be paid for.
 */
export function thumbnailInputProblems(input: ThumbnailWorkflowInput): string[] {
  if (typeof input !== 'object' || input === null) return ['input must be an object'];
  const problems = [
    isSafeId(input.batchId) ? undefined : invalidParameter('batchId', SAFE_ID_RULE, input.batchId),
    thumbnailIdProblem(input.thumbnailId),
    typeof input.manifestSha256 === 'string' && isSha256Hex(input.manifestSha256)
      ? undefined
      : invalidParameter('manifestSha256', 'a lower-case hex sha256', input.manifestSha256),
    input.phase === 'draft' || input.phase === 'reroll'
      ? undefined
      : invalidParameter('phase', '"draft" or "reroll"', input.phase),
    integerProblem('candidates', input.candidates, { ...CANDIDATES_RANGE, note: 'candidates per thumbnail' }),
    input.allowanceMicros === undefined
      ? undefined
      : integerProblem('allowanceMicros', input.allowanceMicros, { min: 0, note: 'micro-dollars' }),
  ];
  const request = input.request as Partial<ThumbnailWorkflowInput['request']> | undefined;
  if (!request || !isFluxModel(request.model)) {
    problems.push(invalidParameter('request.model', `one of ${FLUX_MODELS.join(', ')}`, request?.model));
  } else {
    const body = toRequestBody({ ...(request as ThumbnailWorkflowInput['request']), seed: 0 });
    for (const p of validateRequestBody(request.model, body)) problems.push(`request.${p.message}`);
  }
  return problems.filter((p) => p !== undefined);
}

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
