/**
 * Everything a batch knows, and every rule that changes it, in one class: the carried state, progress,
 * cost, the bottom-tenth selection, re-roll decisions and failure bookkeeping. `batchWorkflow` only
 * orchestrates (load, start children, continue-as-new); this class decides. It uses no workflow APIs,
 * so it is unit-tested without a server (test/batch-state.test.ts).
 */
import { ApplicationFailure } from '@temporalio/common';
import { formatUsd, microsToUsd, usdToMicros } from '../shared/price-card.js';
import { rerollCount, validateBatchOptions } from '../shared/batch-options.js';
import {
  MAX_BUDGET_MICROS,
  Purse,
  RETRY_ALLOWANCE_CALLS,
  budgetGroupOf,
  budgetProblems,
  callReservationMicros,
  groupLimit,
  groupMap,
} from '../shared/budget.js';
import {
  notifyUrlProblem,
  type CompletionStatus,
  type CompletionSummary,
  type NotificationOutcome,
} from '../shared/notification.js';
import type { MetadataValue } from '../shared/thumbnail-brief.js';
import {
  MAX_BATCH_THUMBNAILS,
  type BatchCarry,
  type BatchCost,
  type BatchProgress,
  type BatchResult,
  type BatchStage,
  type RerollDecision,
  type BatchWorkflowInput,
  type BudgetAnswer,
  type Reconciliation,
  type ScoredThumbnail,
} from '../shared/batch-workflow.js';
import { MAX_REASON_CHARS, boundedMessage, failure, ruleOf, withFix } from '../shared/failures.js';
import { gatePerThumbnailMicros, rerollCostMicros } from '../shared/gate-cost.js';
import { emptyTotals, mergeTotals, type LedgerTotals } from '../shared/ledger.js';
import type { ThumbnailSlot } from '../shared/thumbnail-workflow.js';
import { decideReroll } from '../shared/reroll-decision.js';
import { reservedBatchIdProblem, scheduleOfBatchId } from '../shared/schedule.js';
import { isSafeId, SAFE_ID_RULE } from '../shared/thumbnail-brief.js';
import { integerProblem, invalidParameter } from '../shared/validation.js';
import { bestScoreOf, type ThumbnailWorkflowResult } from '../shared/thumbnail-workflow.js';

const FAILED_LISTED_MAX = 500;
const DECISIONS_LISTED_MAX = 500;
const RECENT_MAX = 200;
/** The unusable-share rule needs a sample before it can judge. */
const WASTE_MIN_CALLS = 20;
export const DEFAULT_THUMBNAILS_PER_RUN = 400;

/**
 * Bad input fails the workflow before anything is paid for, naming the field (any client can start it).
 * `parentWorkflowId` is the run that started this batch as its child, if one did: a batch id of the
 * scheduled form is only accepted from that schedule's own firing. A continued run was checked as the
 * first one.
 */
export function validateBatchInput(input: BatchWorkflowInput, parentWorkflowId?: string): void {
  const problems = [
    isSafeId(input.batchId) ? undefined : invalidParameter('batchId', SAFE_ID_RULE, input.batchId),
    input.carry === undefined && isSafeId(input.batchId)
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

/**
 * Lowest score first, ties by id (by code unit, not locale), a NaN score (a failed scoring) lowest of
 * all: the same scores always pick the same thumbnails, on every replay.
 */
export function byScoreThenId(a: ScoredThumbnail, b: ScoredThumbnail): number {
  const key = (s: number): number => (Number.isNaN(s) ? -Infinity : s);
  return key(a.score) - key(b.score) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function initialCarry(input: BatchWorkflowInput): BatchCarry {
  return {
    ...(input.budget?.maxMicros !== undefined ? { budgetMicros: input.budget.maxMicros } : {}),
    groupSpend: {},
    budgetSkipped: 0,
    phase: 'drafting',
    nextBrief: 0,
    nextReroll: 0,
    drafted: 0,
    bottom: [],
    rerollQueue: [],
    rerolls: [],
    rerolled: 0,
    rerollWins: 0,
    failed: [],
    failedUnlisted: 0,
    totals: emptyTotals(),
    consecutiveUnusable: 0,
    runs: 1,
  };
}

/** Work for one run: drafts by manifest position, or re-rolls by id (with the draft score to beat). */
export type RunWork =
  { phase: 'drafting'; from: number; to: number } | { phase: 'rerolling'; queue: ScoredThumbnail[] };

/** Whether a thumbnail may start, and with what allowance for its provider calls. */
export type Admission =
  | { ok: true; /** The thumbnail's limit for its calls; absent: no limit applies. */ allowanceMicros?: number }
  | {
      ok: false;
      /** Which limit: the batch's (stop) or the brief's group's (skip the brief). */
      scope: 'batch' | 'group';
      reason: string;
      /** Thumbnails under way hold part of that limit: once they finish, it may fit. */
      waitable: boolean;
    };

interface Reservation {
  micros: number;
  group?: string;
}

export class BatchState {
  private readonly carry: BatchCarry;
  private stage: BatchStage;
  private stopFailure: ApplicationFailure | undefined;
  private finishedThisRun = 0;
  private reconciled: Reconciliation | undefined;
  private readonly cancelled: { thumbnailId: string; phase: 'draft' | 'reroll' }[] = [];
  private readonly recent: BatchCost['recentThumbnails'] = [];
  /** Budget reservations of the thumbnails under way, by `phase/id` (none cross continue-as-new). */
  private readonly reservations = new Map<string, Reservation>();
  private readonly purse: Purse;
  private readonly groupPurses = new Map<string, Purse>();
  private notification: NotificationOutcome | undefined;
  /** Most thumbnails re-rolled: the bottom list need never hold more. */
  private readonly rerollLimit: number;
  readonly perRun: number;

  constructor(
    private readonly input: BatchWorkflowInput,
    carry: BatchCarry | undefined = input.carry
  ) {
    const start = carry ?? initialCarry(input);
    // Group names are data: spend per group lives in a map without a prototype (shared/budget.ts).
    this.carry = { ...start, groupSpend: groupMap(start.groupSpend) };
    this.stage = this.carry.phase;
    this.purse = new Purse(this.carry.budgetMicros, () => this.carry.totals.costMicros);
    this.rerollLimit = rerollCount(input.thumbnails, input.options.rerollFraction);
    this.perRun = input.thumbnailsPerRun ?? DEFAULT_THUMBNAILS_PER_RUN;
  }

  get phase(): BatchCarry['phase'] {
    return this.carry.phase;
  }

  /** The failure that stops the batch, once one was seen (see shared/failures.ts `stopsBatch`). */
  get stopped(): ApplicationFailure | undefined {
    return this.stopFailure;
  }

  /** The first re-roll decisions (a bounded list); the output writer derives the rest. */
  get rerollDecisions(): BatchResult['rerolls'] {
    return this.carry.rerolls;
  }

  /**
   * Whether spend and stage should go to the search attributes now: at every ~5% of the batch (at
   * most every 25 thumbnails). Each upsert is a history event, so not after every thumbnail.
   */
  get publishDue(): boolean {
    const every = Math.max(1, Math.min(25, Math.ceil(this.input.thumbnails / 20)));
    return this.finishedThisRun % every === 0;
  }

  /** This run's share of the current phase: at most `perRun` thumbnails, so history stays bounded. */
  work(): RunWork {
    const c = this.carry;
    if (c.phase === 'drafting') {
      return { phase: 'drafting', from: c.nextBrief, to: Math.min(this.input.thumbnails, c.nextBrief + this.perRun) };
    }
    return { phase: 'rerolling', queue: c.rerollQueue.slice(c.nextReroll, c.nextReroll + this.perRun) };
  }

  /**
   * Marks this run's work done. Returns true when the phase has more for another run; when drafting
   * is complete, picks the bottom tenth of the drafted thumbnails and moves on to re-rolling.
   */
  completeWork(work: RunWork): boolean {
    const c = this.carry;
    if (work.phase === 'drafting') {
      c.nextBrief = work.to;
      if (c.nextBrief < this.input.thumbnails) return true;
      c.rerollQueue = [...c.bottom]
        .sort(byScoreThenId)
        .slice(0, rerollCount(c.drafted, this.input.options.rerollFraction));
      c.bottom = [];
      c.phase = 'rerolling';
      this.setStage('rerolling');
      return false;
    }
    c.nextReroll += work.queue.length;
    return c.nextReroll < c.rerollQueue.length;
  }

  setStage(stage: BatchStage): void {
    // A stopped batch stays `failed` whatever it still finishes.
    if (!this.stopFailure) this.stage = stage;
  }

  /**
   * Books a finished thumbnail of either phase: its spend, any failure that stops the batch, and what it
   * means for the batch (a draft for the bottom-tenth ranking or a failure; a re-roll decision, returned).
   */
  record(result: ThumbnailWorkflowResult, draftScore?: number): RerollDecision | undefined {
    const c = this.carry;
    mergeTotals(c.totals, result.totals);
    this.settleReservation(result.phase, result.thumbnailId, result.totals.costMicros);
    this.checkWaste(result);
    if (!result.ok) this.noteStop(result.type, `${result.thumbnailId}: ${result.reason}`);
    for (const f of result.failures) this.noteStop(f.type, `${result.thumbnailId}: ${f.message}`);
    this.recent.push({
      id: result.thumbnailId,
      phase: result.phase,
      calls: result.totals.calls,
      costMicros: result.totals.costMicros,
    });
    if (this.recent.length > RECENT_MAX) this.recent.shift();
    this.finishedThisRun += 1;

    if (result.phase === 'draft') {
      const score = bestScoreOf(result);
      if (score === undefined) {
        if (result.ok) this.recordFailure(result.thumbnailId, 'Error', 'no scored candidate');
        else this.recordFailure(result.thumbnailId, result.type, result.reason);
        return;
      }
      c.drafted += 1;
      this.keepLowest({ id: result.thumbnailId, score });
      return;
    }
    // A failed re-roll leaves the draft as the thumbnail: it is in the decision, not a failed thumbnail.
    const decision = decideReroll(result.thumbnailId, draftScore ?? Number.NaN, result);
    if (decision.rerollScore !== undefined) c.rerolled += 1;
    if (decision.winner === 'reroll') c.rerollWins += 1;
    // The output writer re-derives unlisted decisions from the stored results with the same rule.
    if (c.rerolls.length < DECISIONS_LISTED_MAX) c.rerolls.push(decision);
    return decision;
  }

  /** A thumbnail cancelled with the batch: its record is in the store, booked by `recordCancelled`. */
  childCancelled(thumbnailId: string, phase: 'draft' | 'reroll'): void {
    this.settleReservation(phase, thumbnailId, 0);
    this.cancelled.push({ thumbnailId, phase });
  }

  /** The records to read the spend of cancelled thumbnails from. */
  cancelledChildren(): ThumbnailSlot[] {
    const { batchId, manifest } = this.input;
    return this.cancelled.map((c) => ({ batchId, manifestSha256: manifest.sha256, ...c }));
  }

  /** Books what the cancelled thumbnails paid for. */
  recordCancelled(totals: LedgerTotals): void {
    mergeTotals(this.carry.totals, totals);
    this.cancelled.length = 0;
  }

  /** A thumbnail workflow that ended without a result (it failed as a workflow, e.g. bad input). */
  childFailed(thumbnailId: string, phase: 'draft' | 'reroll', type: string | undefined, reason: string): void {
    this.record({
      ok: false,
      type: type ?? 'Error',
      reason,
      batchId: this.input.batchId,
      manifestSha256: this.input.manifest.sha256,
      thumbnailId,
      phase,
      candidates: [],
      failures: [],
      ledger: [],
      totals: emptyTotals(),
    });
  }

  private recordFailure(id: string, type: string, reason: string): void {
    const c = this.carry;
    if (c.failed.length < FAILED_LISTED_MAX) {
      c.failed.push({ id, phase: 'draft', type, reason: boundedMessage(reason, MAX_REASON_CHARS) });
    } else c.failedUnlisted += 1;
  }

  /** Keeps the `rerollLimit` lowest best-draft scores seen so far (a bounded list, so it can be carried). */
  private keepLowest(item: ScoredThumbnail): void {
    if (this.rerollLimit <= 0) return;
    const list = this.carry.bottom;
    list.push(item);
    list.sort(byScoreThenId);
    if (list.length > this.rerollLimit) list.length = this.rerollLimit;
  }

  /**
   * The waste breaker: a provider that keeps charging for unusable images (junk answers, wrong sizes)
   * would otherwise eat the budget quietly. Stops after `maxConsecutiveUnusable` paid-but-unusable
   * calls in a row, or once their share of spend passes `maxUnusableShare` after `WASTE_MIN_CALLS` calls.
   */
  private checkWaste(result: ThumbnailWorkflowResult): void {
    const c = this.carry;
    const { maxConsecutiveUnusable, maxUnusableShare } = this.input.options;
    const entries = [...result.ledger].sort((a, b) => a.attempt - b.attempt || a.candidateIndex - b.candidateIndex);
    for (const e of entries) c.consecutiveUnusable = e.outcome === 'unusable' ? c.consecutiveUnusable + 1 : 0;
    const t = c.totals;
    if (c.consecutiveUnusable >= maxConsecutiveUnusable) {
      this.noteStop(
        'WasteLimitReached',
        `${c.consecutiveUnusable} paid calls in a row gave no usable image (last: ${result.thumbnailId})`
      );
    } else if (t.calls >= WASTE_MIN_CALLS && t.unusableCostMicros > maxUnusableShare * t.costMicros) {
      this.noteStop(
        'WasteLimitReached',
        `${formatUsd(t.unusableCostMicros)} of ${formatUsd(t.costMicros)} spent on unusable images ` +
          `(over ${Math.round(maxUnusableShare * 100)}%)`
      );
    }
  }

  private noteStop(type: string, message: string): void {
    if (this.stopFailure || !ruleOf(type).stopsBatch) return;
    this.stopFailure = ApplicationFailure.nonRetryable(withFix(type, `batch stopped: ${message}`), type);
    this.stage = 'failed';
  }

  // --- Budget ---

  /** Price-card cost of one provider call of a phase: what a call under way is reserved at. */
  private perCallMicros(phase: 'draft' | 'reroll'): number {
    const { draftModel, draftSteps, rerollModel } = this.input.options;
    return phase === 'draft' ? callReservationMicros(draftModel, draftSteps) : callReservationMicros(rerollModel);
  }

  private groupPurse(group: string): Purse | undefined {
    const limit = groupLimit(this.input.budget, group);
    if (limit === undefined) return undefined;
    let purse = this.groupPurses.get(group);
    if (!purse) {
      purse = new Purse(limit, () => this.carry.groupSpend[group] ?? 0);
      this.groupPurses.set(group, purse);
    }
    return purse;
  }

  /**
   * Whether a thumbnail may start: its calls (one per candidate, plus room for a retry) at the price
   * card must fit under the batch limit and its group's limit, counting what is booked and what the
   * thumbnails under way have reserved. Admitted, it reserves that much until it finishes.
   */
  admit(id: string, phase: 'draft' | 'reroll', metadata: Record<string, MetadataValue> | undefined): Admission {
    const calls = (phase === 'draft' ? this.input.options.candidates : 1) + RETRY_ALLOWANCE_CALLS;
    const micros = calls * this.perCallMicros(phase);
    const group = budgetGroupOf(this.input.budget, metadata);
    const groupPurse = group === undefined ? undefined : this.groupPurse(group);
    if (!this.purse.fits(micros)) {
      return {
        ok: false,
        scope: 'batch',
        waitable: this.purse.reserved > 0,
        reason:
          `the batch limit of ${formatUsd(this.purse.limit!, 2)} is reached: ${formatUsd(this.carry.totals.costMicros)} ` +
          `spent, ${formatUsd(this.purse.reserved)} under way, ${formatUsd(micros)} needed for the next thumbnail`,
      };
    }
    if (groupPurse && !groupPurse.fits(micros)) {
      return {
        ok: false,
        scope: 'group',
        waitable: groupPurse.reserved > 0,
        reason: `the ${this.input.budget!.key} "${group}" limit of ${formatUsd(groupPurse.limit!, 2)} is reached`,
      };
    }
    if (this.purse.limit === undefined && !groupPurse) return { ok: true };
    this.purse.reserve(micros);
    groupPurse?.reserve(micros);
    this.reservations.set(`${phase}/${id}`, { micros, ...(group !== undefined && groupPurse ? { group } : {}) });
    return { ok: true, allowanceMicros: micros };
  }

  /** A thumbnail finished: its reservation gives way to what it actually booked. */
  private settleReservation(phase: 'draft' | 'reroll', id: string, bookedMicros: number): void {
    const r = this.reservations.get(`${phase}/${id}`);
    if (!r) return;
    this.reservations.delete(`${phase}/${id}`);
    this.purse.release(r.micros);
    if (r.group !== undefined) {
      this.groupPurses.get(r.group)?.release(r.micros);
      this.carry.groupSpend[r.group] = (this.carry.groupSpend[r.group] ?? 0) + bookedMicros;
    }
  }

  /** Why the budget stopped the batch, once it did. */
  get budgetStop(): string | undefined {
    return this.carry.budgetStop;
  }

  /** Nothing new starts; what is under way finishes, and what was drafted is delivered. */
  stopForBudget(reason: string): void {
    this.carry.budgetStop ??= boundedMessage(reason, MAX_REASON_CHARS);
  }

  /**
   * A thumbnail over its group's limit is not started: a draft is listed as failed with the reason; a
   * re-roll leaves the draft standing, which its decision says.
   */
  skipForBudget(id: string, phase: 'draft' | 'reroll', reason: string, draftScore?: number): void {
    this.carry.budgetSkipped += 1;
    if (phase === 'draft') {
      this.recordFailure(id, 'BudgetExhausted', `not started: ${reason}`);
      return;
    }
    const c = this.carry;
    const decision = { id, draftScore: draftScore ?? Number.NaN, winner: 'draft' as const };
    if (c.rerolls.length < DECISIONS_LISTED_MAX) {
      c.rerolls.push({
        ...decision,
        reason: boundedMessage(`re-roll not started: ${reason}; the draft stands`, MAX_REASON_CHARS),
      });
    }
  }

  /** Why a new batch limit cannot be taken, or undefined (the `setBudget` update's validator). */
  budgetUpdateProblem(maxUsd: unknown): string | undefined {
    if (
      typeof maxUsd !== 'number' ||
      !Number.isFinite(maxUsd) ||
      maxUsd <= 0 ||
      usdToMicros(maxUsd) > MAX_BUDGET_MICROS
    ) {
      return `maxUsd must be a number of US dollars above 0 and at most 1000000, got ${JSON.stringify(maxUsd)}`;
    }
    if (this.carry.budgetStop) return `the batch already stopped on its budget (${this.carry.budgetStop})`;
    if (this.stage !== 'drafting' && this.stage !== 'rerolling') {
      return `the batch is ${this.stage}: it starts no more provider calls`;
    }
    const committed = this.purse.committed;
    if (usdToMicros(maxUsd) < committed) {
      return (
        `$${maxUsd} is below what is already committed: ${formatUsd(this.carry.totals.costMicros)} spent and ` +
        `${formatUsd(this.purse.reserved)} under way (at least ${formatUsd(committed)})`
      );
    }
    return undefined;
  }

  /** Takes a new batch limit (validated by {@link budgetUpdateProblem}) and answers with the headroom. */
  setBudget(maxUsd: number): BudgetAnswer {
    this.carry.budgetMicros = usdToMicros(maxUsd);
    this.purse.setLimit(this.carry.budgetMicros);
    return this.budgetAnswer();
  }

  private budgetAnswer(): BudgetAnswer {
    const limit = this.carry.budgetMicros ?? 0;
    return {
      maxUsd: microsToUsd(limit),
      spentUsd: microsToUsd(this.carry.totals.costMicros),
      inFlightUsd: microsToUsd(this.purse.reserved),
      headroomUsd: microsToUsd(Math.max(0, limit - this.purse.committed)),
    };
  }

  /** The callback's delivery, shown in the UI's details and kept in the result. */
  noteNotification(outcome: NotificationOutcome): void {
    this.notification = outcome;
  }

  /** The completion callback's body. */
  completion(status: CompletionStatus, finishedAt: Date, outputDir?: string, reason?: string): CompletionSummary {
    const c = this.carry;
    const cost = this.cost();
    // Only the schedule's own firing may run a batch under an id of this form (validateBatchInput).
    const schedule = scheduleOfBatchId(this.input.batchId);
    return {
      event: 'thumbgate.batch.finished',
      batchId: this.input.batchId,
      workflowId: this.input.batchId,
      ...(schedule !== undefined ? { schedule } : {}),
      status,
      ...(reason !== undefined ? { reason: boundedMessage(reason, MAX_REASON_CHARS) } : {}),
      thumbnails: this.input.thumbnails,
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

  /** The state the next run starts from. */
  nextRun(): BatchWorkflowInput {
    return { ...this.input, carry: { ...this.carry, runs: this.carry.runs + 1 } };
  }

  progress(inFlight: number): BatchProgress {
    const c = this.carry;
    return {
      batchId: this.input.batchId,
      stage: this.stage,
      thumbnails: this.input.thumbnails,
      drafted: c.drafted,
      failed: c.failed.length + c.failedUnlisted,
      rerollTarget: c.phase === 'rerolling' ? c.rerollQueue.length : this.rerollLimit,
      rerolled: c.rerolled,
      inFlight,
      spendMicros: c.totals.costMicros,
      ...(c.budgetMicros !== undefined ? { budgetMicros: c.budgetMicros, committedMicros: this.purse.committed } : {}),
      run: c.runs,
    };
  }

  /** The Temporal UI's current details: cost no history events, so they follow every finished thumbnail. */
  details(inFlight: number): string {
    const p = this.progress(inFlight);
    return [
      `**${p.stage}** — ${p.drafted}/${p.thumbnails} drafted, ${p.failed} failed, ` +
        `${p.rerolled}/${p.rerollTarget} re-rolled`,
      `spend ${formatUsd(p.spendMicros)}` +
        (p.budgetMicros !== undefined ? ` of a ${formatUsd(p.budgetMicros, 2)} limit` : '') +
        ` (run ${p.run})`,
      ...(this.carry.budgetStop ? [`stopped by budget: ${this.carry.budgetStop}`] : []),
      ...(this.notification
        ? [
            this.notification.outcome === 'delivered'
              ? 'callback delivered'
              : `callback ${this.notification.outcome}: ${this.notification.error}`,
          ]
        : []),
    ].join('\n\n');
  }

  /** The balance the reconciliation starts from (first run only; later runs carry it). */
  noteStartBalance(micros: number | undefined): void {
    if (micros !== undefined && this.carry.balanceAtStartMicros === undefined) this.carry.balanceAtStartMicros = micros;
  }

  get needsStartBalance(): boolean {
    return this.carry.runs === 1 && this.carry.balanceAtStartMicros === undefined;
  }

  /** Compares the ledger with what the provider's balance says it charged. */
  reconcile(balanceAtEndMicros: number | undefined): void {
    const start = this.carry.balanceAtStartMicros;
    if (start === undefined || balanceAtEndMicros === undefined) return;
    const providerChargedMicros = start - balanceAtEndMicros;
    const ledgerMicros = this.carry.totals.costMicros;
    this.reconciled = { providerChargedMicros, ledgerMicros, driftMicros: ledgerMicros - providerChargedMicros };
  }

  cost(): BatchCost {
    const { options, batchId, thumbnails } = this.input;
    const c = this.carry;
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
      ...(this.reconciled ? { reconciled: this.reconciled } : {}),
      recentThumbnails: this.recent,
    };
  }

  result(outputDir: string, notification?: NotificationOutcome): BatchResult {
    const c = this.carry;
    return {
      batchId: this.input.batchId,
      status: c.budgetStop ? 'budget-stopped' : 'done',
      ...(c.budgetStop ? { budgetStop: c.budgetStop } : {}),
      thumbnails: this.input.thumbnails,
      succeeded: c.drafted,
      failed: c.failed,
      failedUnlisted: c.failedUnlisted,
      rerolled: c.rerolled,
      rerollWins: c.rerollWins,
      rerolls: c.rerolls,
      cost: this.cost(),
      outputDir,
      ...(notification ? { notification } : {}),
      runs: c.runs,
    };
  }
}
