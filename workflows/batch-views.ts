/**
 * What the batch shows of itself, as pure functions of its state (`BatchState.view()`): the progress
 * query, the Temporal UI's details, the cost query, the result and the completion callback's body. They
 * change nothing, so the workflow may call them as often as it likes without touching its history.
 */
import type {
  BatchCarry,
  BatchCost,
  BatchProgress,
  BatchResult,
  BatchStage,
  BatchWorkflowInput,
  Reconciliation,
} from '../shared/batch-workflow.js';
import { MAX_REASON_CHARS, boundedMessage } from '../shared/failures.js';
import { gatePerThumbnailMicros, rerollCostMicros } from '../shared/gate-cost.js';
import { formatUsd, microsToUsd } from '../shared/money.js';
import type { CompletionStatus, CompletionSummary, NotificationOutcome } from '../shared/notification.js';
import { scheduleOfBatchId } from '../shared/schedule.js';

/** The batch's state as the views read it. */
export interface BatchView {
  input: BatchWorkflowInput;
  carry: Readonly<BatchCarry>;
  stage: BatchStage;
  /** Thumbnails to re-roll: the chosen queue once re-rolling, the most there can be before. */
  rerollTarget: number;
  /** Booked spend plus reservations of thumbnails under way. */
  committedMicros: number;
  /** Per-thumbnail cost of the thumbnails finished in this run (a bounded list). */
  recent: BatchCost['recentThumbnails'];
  reconciled?: Reconciliation;
  /** The completion callback's delivery, once it was tried. */
  notification?: NotificationOutcome;
}

export function batchProgress(v: BatchView, inFlight: number): BatchProgress {
  const c = v.carry;
  return {
    batchId: v.input.batchId,
    stage: v.stage,
    thumbnails: v.input.thumbnails,
    drafted: c.drafted,
    failed: c.failed.length + c.failedUnlisted,
    rerollTarget: v.rerollTarget,
    rerolled: c.rerolled,
    inFlight,
    spendMicros: c.totals.costMicros,
    ...(c.budgetMicros !== undefined ? { budgetMicros: c.budgetMicros, committedMicros: v.committedMicros } : {}),
    run: c.runs,
  };
}

/** The Temporal UI's current details: cost no history events, so they follow every finished thumbnail. */
export function batchDetails(v: BatchView, inFlight: number): string {
  const p = batchProgress(v, inFlight);
  const n = v.notification;
  return [
    `**${p.stage}** — ${p.drafted}/${p.thumbnails} drafted, ${p.failed} failed, ` +
      `${p.rerolled}/${p.rerollTarget} re-rolled`,
    `spend ${formatUsd(p.spendMicros)}` +
      (p.budgetMicros !== undefined ? ` of a ${formatUsd(p.budgetMicros, 2)} limit` : '') +
      ` (run ${p.run})`,
    ...(v.carry.budgetStop ? [`stopped by budget: ${v.carry.budgetStop}`] : []),
    ...(n ? [n.outcome === 'delivered' ? 'callback delivered' : `callback ${n.outcome}: ${n.error}`] : []),
  ].join('\n\n');
}

export function batchCost(v: BatchView): BatchCost {
  const { options, batchId, thumbnails } = v.input;
  const c = v.carry;
  const seedPerThumbnail = gatePerThumbnailMicros(options);
  const allReroll = rerollCostMicros(options.rerollModel);
  return {
    batchId,
    totals: c.totals,
    usableThumbnails: c.drafted,
    costPerUsableMicros: c.drafted > 0 ? Math.round(c.totals.costMicros / c.drafted) : 0,
    counterfactuals: [
      {
        label: `seed expectation (${options.candidates} × ${options.draftModel} + ${options.rerollFraction * 100}% × ${options.rerollModel})`,
        totalMicros: seedPerThumbnail * thumbnails,
        perThumbnailMicros: seedPerThumbnail,
      },
      {
        label: `everything on ${options.rerollModel}`,
        totalMicros: allReroll * thumbnails,
        perThumbnailMicros: allReroll,
      },
    ],
    ...(v.reconciled ? { reconciled: v.reconciled } : {}),
    recentThumbnails: v.recent,
  };
}

export function batchResult(v: BatchView, outputDir: string, notification?: NotificationOutcome): BatchResult {
  const c = v.carry;
  return {
    batchId: v.input.batchId,
    status: c.budgetStop ? 'budget-stopped' : 'done',
    ...(c.budgetStop ? { budgetStop: c.budgetStop } : {}),
    thumbnails: v.input.thumbnails,
    succeeded: c.drafted,
    failed: c.failed,
    failedUnlisted: c.failedUnlisted,
    rerolled: c.rerolled,
    rerollWins: c.rerollWins,
    rerolls: c.rerolls,
    cost: batchCost(v),
    outputDir,
    ...(notification ? { notification } : {}),
    runs: c.runs,
  };
}

/** The completion callback's body: micro-dollars, and the documented dollar fields converted from them. */
export function completionSummary(
  v: BatchView,
  status: CompletionStatus,
  finishedAt: Date,
  outputDir?: string,
  reason?: string
): CompletionSummary {
  const c = v.carry;
  const cost = batchCost(v);
  // Only the schedule's own firing may run a batch under an id of this form (validateBatchInput).
  const schedule = scheduleOfBatchId(v.input.batchId);
  return {
    event: 'thumbgate.batch.finished',
    batchId: v.input.batchId,
    workflowId: v.input.batchId,
    ...(schedule !== undefined ? { schedule } : {}),
    status,
    ...(reason !== undefined ? { reason: boundedMessage(reason, MAX_REASON_CHARS) } : {}),
    thumbnails: v.input.thumbnails,
    succeeded: c.drafted,
    failed: c.failed.length + c.failedUnlisted,
    rerolled: c.rerolled,
    rerollWins: c.rerollWins,
    spendMicros: c.totals.costMicros,
    spendUsd: microsToUsd(c.totals.costMicros),
    costPerUsableUsd: microsToUsd(cost.costPerUsableMicros),
    ...(outputDir !== undefined ? { outputDir } : {}),
    finishedAt: finishedAt.toISOString(),
  };
}
