/**
 * Everything a batch knows and every rule that changes it: the work of each run, booking finished
 * thumbnails (spend, failures, the bottom-tenth ranking, re-roll decisions) and the carried state. It
 * composes the budget (`BatchBudget`, workflows/batch-budget.ts) and the waste breaker
 * (workflows/waste-breaker.ts); what it shows of itself is in workflows/batch-views.ts. `batchWorkflow`
 * only orchestrates (load, start children, continue-as-new); this class decides. It uses no workflow
 * APIs, so it is unit-tested without a server (test/batch-state.test.ts).
 */
import { ApplicationFailure } from '@temporalio/common';
import { rerollCount } from '../shared/batch-options.js';
import { groupMap } from '../shared/budget.js';
import type { NotificationOutcome } from '../shared/notification.js';
import type {
  BatchCarry,
  BatchCost,
  BatchResult,
  BatchStage,
  RerollDecision,
  BatchWorkflowInput,
  Reconciliation,
  ScoredThumbnail,
} from '../shared/batch-workflow.js';
import { MAX_REASON_CHARS, boundedMessage, ruleOf, withFix } from '../shared/failures.js';
import type { Phase } from '../shared/generation.js';
import { emptyTotals, mergeTotals, type LedgerTotals } from '../shared/ledger.js';
import { decideReroll } from '../shared/decision/reroll-decision.js';
import { bestScoreOf, type ThumbnailSlot, type ThumbnailWorkflowResult } from '../shared/thumbnail-workflow.js';
import { BatchBudget } from './batch-budget.js';
import type { BatchView } from './batch-views.js';
import { WasteBreaker } from './waste-breaker.js';

const FAILED_LISTED_MAX = 500;
const DECISIONS_LISTED_MAX = 500;
const RECENT_MAX = 200;
const DEFAULT_THUMBNAILS_PER_RUN = 400;

/**
 * Lowest score first, ties by id (by code unit, not locale), a NaN score (a failed scoring) lowest of
 * all: the same scores always pick the same thumbnails, on every replay.
 */
function byScoreThenId(a: ScoredThumbnail, b: ScoredThumbnail): number {
  const key = (s: number): number => (Number.isNaN(s) ? -Infinity : s);
  return key(a.score) - key(b.score) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Inserts `item` into `list` (kept in {@link byScoreThenId} order) and keeps at most `limit` entries: a
 * binary search for the place after every entry that sorts with or before it, so the list is the same
 * as appending and re-sorting (a stable sort), at O(log n) comparisons instead of O(n log n).
 */
export function insertLowest(list: ScoredThumbnail[], item: ScoredThumbnail, limit: number): void {
  if (limit <= 0) return;
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (byScoreThenId(list[mid]!, item) <= 0) lo = mid + 1;
    else hi = mid;
  }
  if (lo >= limit) return;
  list.splice(lo, 0, item);
  if (list.length > limit) list.length = limit;
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

export class BatchState {
  private readonly carry: BatchCarry;
  private stage: BatchStage;
  private stopFailure: ApplicationFailure | undefined;
  private finishedThisRun = 0;
  private reconciled: Reconciliation | undefined;
  private readonly cancelled: { thumbnailId: string; phase: Phase }[] = [];
  private readonly recent: BatchCost['recentThumbnails'] = [];
  /** The budget: purses, reservations, admission and the `setBudget` update. */
  readonly budget: BatchBudget;
  private readonly waste: WasteBreaker;
  private notification: NotificationOutcome | undefined;
  /** Most thumbnails re-rolled: the bottom list need never hold more. */
  private readonly rerollLimit: number;
  private readonly perRun: number;

  constructor(
    private readonly input: BatchWorkflowInput,
    carry: BatchCarry | undefined = input.carry
  ) {
    const start = carry ?? initialCarry(input);
    // Group names are data: spend per group lives in a map without a prototype (shared/budget.ts).
    this.carry = { ...start, groupSpend: groupMap(start.groupSpend) };
    this.stage = this.carry.phase;
    this.budget = new BatchBudget(input, this.carry, () => this.stage);
    this.waste = new WasteBreaker(input.options, this.carry);
    this.rerollLimit = rerollCount(input.thumbnails, input.options.rerollFraction);
    this.perRun = input.thumbnailsPerRun ?? DEFAULT_THUMBNAILS_PER_RUN;
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
    this.budget.settle(result.phase, result.thumbnailId, result.totals.costMicros);
    const waste = this.waste.check(result);
    if (waste) this.noteStop('WasteLimitReached', waste);
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
      insertLowest(c.bottom, { id: result.thumbnailId, score }, this.rerollLimit);
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
  childCancelled(thumbnailId: string, phase: Phase): void {
    this.budget.settle(phase, thumbnailId, 0);
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
  childFailed(thumbnailId: string, phase: Phase, type: string | undefined, reason: string): void {
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

  private noteStop(type: string, message: string): void {
    if (this.stopFailure || !ruleOf(type).stopsBatch) return;
    this.stopFailure = ApplicationFailure.nonRetryable(withFix(type, `batch stopped: ${message}`), type);
    this.stage = 'failed';
  }

  /**
   * A thumbnail over its group's limit is not started: a draft is listed as failed with the reason; a
   * re-roll leaves the draft standing, which its decision says.
   */
  skipForBudget(id: string, phase: Phase, reason: string, draftScore?: number): void {
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

  /** The callback's delivery, shown in the UI's details and kept in the result. */
  noteNotification(outcome: NotificationOutcome): void {
    this.notification = outcome;
  }

  /** The state the next run starts from. */
  nextRun(): BatchWorkflowInput {
    return { ...this.input, carry: { ...this.carry, runs: this.carry.runs + 1 } };
  }

  /** The state as the views read it (workflows/batch-views.ts). */
  view(): BatchView {
    const c = this.carry;
    return {
      input: this.input,
      carry: c,
      stage: this.stage,
      rerollTarget: c.phase === 'rerolling' ? c.rerollQueue.length : this.rerollLimit,
      committedMicros: this.budget.committedMicros,
      recent: this.recent,
      ...(this.reconciled ? { reconciled: this.reconciled } : {}),
      ...(this.notification ? { notification: this.notification } : {}),
    };
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
}
