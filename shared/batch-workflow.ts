/** Input, state, result and messages of the batch workflow. Sandbox-safe. */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { validateBatchOptions, type BatchOptions } from './batch-options.js';
import type { BlobRef } from './blob-ref.js';
import { budgetProblems, type BatchBudget } from './budget.js';
import { failure } from './failures.js';
import type { Phase } from './generation.js';
import type { LedgerTotals } from './ledger.js';
import { notifyUrlProblem, type NotificationOutcome } from './notification.js';
import { reservedBatchIdProblem } from './schedule.js';
import { isSafeId, SAFE_ID_RULE } from './thumbnail-brief.js';
import { integerProblem, invalidParameter } from './validation.js';

/** Larger manifests are split: carried state and the result stay far below Temporal's 2 MB payloads. */
export const MAX_BATCH_THUMBNAILS = 20_000;

export interface BatchWorkflowInput {
  batchId: string;
  /** The validated briefs, stored as JSON lines: a 10,000-brief manifest would not fit in a payload. */
  manifest: BlobRef;
  thumbnails: number;
  options: BatchOptions;
  /**
   * Thumbnails finished per run before the workflow continues as new, which keeps every run's
   * history bounded however large the batch.
   */
  thumbnailsPerRun?: number;
  /**
   * Spending limits (shared/budget.ts). Not part of the batch's identity: the limit can change while
   * it runs (the `setBudget` update), and the carried state holds the current one.
   */
  budget?: BatchBudget;
  /** Where to POST the signed completion summary when the batch ends (shared/notification.ts). */
  notifyUrl?: string;
  /** State carried across continue-as-new; absent on the first run. */
  carry?: BatchCarry;
}

/**
 * Bad input fails the workflow before anything is paid for, naming the field (any client can start it).
 * `parentWorkflowId` is the run that started this batch as its child, if one did: a batch id of the
 * scheduled form is only accepted from that schedule's own firing. `continuedFromRunId` is the run this
 * one continued from (Temporal's own record, `workflowInfo().continuedFromExecutionRunId`): only such a
 * run may have a `carry`, and only it skips the reserved-id check (its first run made it). `carry` is
 * ordinary input, so it cannot itself say a run was continued.
 */
export function validateBatchInput(
  input: BatchWorkflowInput,
  parentWorkflowId?: string,
  continuedFromRunId?: string
): void {
  const continued = continuedFromRunId !== undefined;
  const problems = [
    isSafeId(input.batchId) ? undefined : invalidParameter('batchId', SAFE_ID_RULE, input.batchId),
    !continued && input.carry !== undefined
      ? 'carry is set only by the batch workflow itself when it continues as new — start a batch without it'
      : undefined,
    !continued && isSafeId(input.batchId)
      ? reservedBatchIdProblem('batchId', input.batchId, parentWorkflowId)
      : undefined,
    integerProblem('thumbnails', input.thumbnails, {
      min: 1,
      max: MAX_BATCH_THUMBNAILS,
      note: 'split larger manifests',
    }),
    ...validateBatchOptions(input.options).map((p) => `options.${p.field}: ${p.message}`),
    input.thumbnailsPerRun === undefined
      ? undefined
      : integerProblem('thumbnailsPerRun', input.thumbnailsPerRun, { min: 1 }),
    ...budgetProblems(input.budget),
    input.notifyUrl === undefined ? undefined : notifyUrlProblem('notifyUrl', input.notifyUrl),
  ].filter((p) => p !== undefined);
  if (problems.length > 0) throw failure('InvalidBatchInput', problems.join('; '));
}

/** The batch's two working phases: each thumbnail of `drafting` runs in phase `draft`, of `rerolling` in `reroll`. */
export type BatchPhase = 'drafting' | 'rerolling';

export type BatchStage = BatchPhase | 'writing-outputs' | 'done' | 'budget-stopped' | 'failed' | 'cancelled';

/** A thumbnail's best draft score, kept only for the lowest-scoring candidates for re-roll. */
export interface ScoredThumbnail {
  id: string;
  score: number;
}

export interface RerollDecision {
  id: string;
  draftScore: number;
  rerollScore?: number;
  winner: Phase;
  reason: string;
}

export interface FailedThumbnail {
  id: string;
  phase: Phase;
  /** Failure type (shared/failures.ts): what the CLI looks the fix up by. */
  type: string;
  reason: string;
}

/** Compact state carried from run to run: counts, totals and bounded lists only. */
export interface BatchCarry {
  phase: BatchPhase;
  /** Drafting: position in the manifest of the next brief to draft. */
  nextBrief: number;
  /** Re-rolling: position in `rerollQueue` of the next thumbnail to re-roll. */
  nextReroll: number;
  /** Thumbnails with a scored best draft. */
  drafted: number;
  /** The lowest best-draft scores so far, at most `ceil(fraction × thumbnails)` of them. */
  bottom: ScoredThumbnail[];
  /** The bottom tenth, chosen when drafting ends. */
  rerollQueue: ScoredThumbnail[];
  /** The first re-roll decisions (a bounded list); the outputs derive the rest from stored results. */
  rerolls: RerollDecision[];
  /** Re-rolls that produced a scored image, and how many of them beat their draft. */
  rerolled: number;
  rerollWins: number;
  failed: FailedThumbnail[];
  /** Failures beyond those listed (the list is capped). */
  failedUnlisted: number;
  totals: LedgerTotals;
  /** Paid-but-unusable calls in a row, across thumbnails (the waste breaker's count). */
  consecutiveUnusable: number;
  /** The provider account's balance when the batch started, if the provider reports it. */
  balanceAtStartMicros?: number;
  /** The batch limit now (the input's, or the last `setBudget`); absent: none. */
  budgetMicros?: number;
  /** Booked spend per budget group that has a limit (bounded by the budget's group count). */
  groupSpend: Record<string, number>;
  /** Why the budget stopped the batch, once it did: nothing new starts, what is drafted is delivered. */
  budgetStop?: string;
  /** Briefs not started because their group's limit was reached (they are listed in `failed`). */
  budgetSkipped: number;
  runs: number;
}

export interface BatchProgress {
  batchId: string;
  stage: BatchStage;
  thumbnails: number;
  drafted: number;
  failed: number;
  rerollTarget: number;
  rerolled: number;
  inFlight: number;
  spendMicros: number;
  /** The batch limit, when it has one, and what is committed against it (booked + under way). */
  budgetMicros?: number;
  committedMicros?: number;
  /** Runs of this batch so far (continue-as-new count + 1). */
  run: number;
}

export interface Counterfactual {
  label: string;
  totalMicros: number;
  perThumbnailMicros: number;
}

/**
 * What the provider charged (its balance at start minus at end) against what the ledger booked. Exact
 * when nothing else spends on the account during the batch; a shared account shows its other spend as
 * drift.
 */
export interface Reconciliation {
  providerChargedMicros: number;
  ledgerMicros: number;
  /** ledgerMicros − providerChargedMicros. */
  driftMicros: number;
}

export interface BatchCost {
  batchId: string;
  totals: LedgerTotals;
  usableThumbnails: number;
  costPerUsableMicros: number;
  /** What the same batch would cost all on the re-roll model, and the seed's expectation. */
  counterfactuals: Counterfactual[];
  /** The ledger against the provider's own balance, once the batch has finished. */
  reconciled?: Reconciliation;
  /** Per-thumbnail cost of thumbnails finished in the current run (earlier ones are in the outputs). */
  recentThumbnails: { id: string; phase: Phase; calls: number; costMicros: number }[];
}

export interface BatchResult {
  batchId: string;
  /** `budget-stopped`: the limit was reached; the result covers what was delivered. */
  status: 'done' | 'budget-stopped';
  /** Why the budget stopped the batch. */
  budgetStop?: string;
  thumbnails: number;
  succeeded: number;
  failed: FailedThumbnail[];
  failedUnlisted: number;
  rerolled: number;
  rerollWins: number;
  /** The first re-roll decisions; every decision is in the output folder's results.jsonl. */
  rerolls: RerollDecision[];
  cost: BatchCost;
  outputDir?: string;
  /** The completion callback's delivery, when the batch has a notify URL. */
  notification?: NotificationOutcome;
  runs: number;
}

export interface SetBudgetInput {
  /** The new batch limit in micro-dollars (shared/money.ts). */
  maxMicros: number;
}

/** The batch's limit after a `setBudget` update, in micro-dollars. */
export interface BudgetAnswer {
  maxMicros: number;
  /** Booked spend. */
  spentMicros: number;
  /** Reserved at price card for thumbnails under way. */
  inFlightMicros: number;
  /** What may still be committed: maxMicros − spent − in flight. */
  headroomMicros: number;
}

export const progressQuery = defineQuery<BatchProgress>('progress');
/** Raises or lowers the batch limit while it runs; refused below what is already committed. */
export const setBudgetUpdate = defineUpdate<BudgetAnswer, [SetBudgetInput]>('setBudget');
export const costQuery = defineQuery<BatchCost>('cost');
