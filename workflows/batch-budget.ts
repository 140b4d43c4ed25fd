/**
 * The batch's side of the budget (shared/budget.ts holds the rules): the batch purse and one per budget
 * group, the reservations of thumbnails under way, admission, the budget stop and the `setBudget`
 * update. What it books lives in the carried state (limit, spend per group, the stop), so it spans
 * continue-as-new; reservations do not cross it (nothing is under way between runs).
 */
import type { BatchCarry, BatchStage, BatchWorkflowInput, BudgetAnswer } from '../shared/batch-workflow.js';
import {
  Purse,
  RETRY_ALLOWANCE_CALLS,
  budgetAmountProblem,
  budgetGroupOf,
  callReservationMicros,
  groupLimit,
} from '../shared/budget.js';
import { MAX_REASON_CHARS, boundedMessage } from '../shared/failures.js';
import type { Phase } from '../shared/generation.js';
import { formatUsd } from '../shared/money.js';
import type { MetadataValue } from '../shared/thumbnail-brief.js';

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

export class BatchBudget {
  /** Budget reservations of the thumbnails under way, by `phase/id`. */
  private readonly reservations = new Map<string, Reservation>();
  private readonly purse: Purse;
  private readonly groupPurses = new Map<string, Purse>();

  constructor(
    private readonly input: BatchWorkflowInput,
    /** The batch's carried state: the limit, spend per group and the stop are kept in it. */
    private readonly carry: BatchCarry,
    /** The batch's stage now: a batch that starts no more calls takes no new limit. */
    private readonly stage: () => BatchStage
  ) {
    this.purse = new Purse(carry.budgetMicros, () => carry.totals.costMicros);
  }

  /** Booked spend plus the reservations of thumbnails under way. */
  get committedMicros(): number {
    return this.purse.committed;
  }

  /** Why the budget stopped the batch, once it did. */
  get stopReason(): string | undefined {
    return this.carry.budgetStop;
  }

  /** Nothing new starts; what is under way finishes, and what was drafted is delivered. */
  stop(reason: string): void {
    this.carry.budgetStop ??= boundedMessage(reason, MAX_REASON_CHARS);
  }

  /** Price-card cost of one provider call of a phase: what a call under way is reserved at. */
  private perCallMicros(phase: Phase): number {
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
  admit(id: string, phase: Phase, metadata: Record<string, MetadataValue> | undefined): Admission {
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
  settle(phase: Phase, id: string, bookedMicros: number): void {
    const r = this.reservations.get(`${phase}/${id}`);
    if (!r) return;
    this.reservations.delete(`${phase}/${id}`);
    this.purse.release(r.micros);
    if (r.group !== undefined) {
      this.groupPurses.get(r.group)?.release(r.micros);
      this.carry.groupSpend[r.group] = (this.carry.groupSpend[r.group] ?? 0) + bookedMicros;
    }
  }

  /** Why a new batch limit cannot be taken, or undefined (the `setBudget` update's validator). */
  budgetUpdateProblem(maxMicros: unknown): string | undefined {
    const invalid = budgetAmountProblem('maxMicros', maxMicros);
    if (invalid) return invalid;
    if (this.carry.budgetStop) return `the batch already stopped on its budget (${this.carry.budgetStop})`;
    const stage = this.stage();
    if (stage !== 'drafting' && stage !== 'rerolling') return `the batch is ${stage}: it starts no more provider calls`;
    const committed = this.purse.committed;
    if ((maxMicros as number) < committed) {
      return (
        `${formatUsd(maxMicros as number)} is below what is already committed: ` +
        `${formatUsd(this.carry.totals.costMicros)} spent and ${formatUsd(this.purse.reserved)} under way ` +
        `(at least ${formatUsd(committed)})`
      );
    }
    return undefined;
  }

  /** Takes a new batch limit (validated by {@link budgetUpdateProblem}) and answers with the headroom. */
  setLimit(maxMicros: number): BudgetAnswer {
    this.carry.budgetMicros = maxMicros;
    this.purse.setLimit(maxMicros);
    return {
      maxMicros,
      spentMicros: this.carry.totals.costMicros,
      inFlightMicros: this.purse.reserved,
      headroomMicros: Math.max(0, maxMicros - this.purse.committed),
    };
  }
}
