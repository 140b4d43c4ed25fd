/**
 * Spending limits of a batch and the admission rule behind them: no provider call starts once committed
 * spend — what is booked plus what calls under way may cost at the price card — would pass a limit.
 * Sandbox-safe and pure: the batch admits thumbnails with it, each thumbnail admits its calls with it.
 */
import { PRICE_CARD, expectedCostMicros, type FluxModel } from './price-card.js';
import type { MetadataValue } from './thumbnail-brief.js';
import { invalidParameter } from './validation.js';

export interface BatchBudget {
  /** The batch's limit in micro-dollars (absent: no batch limit). */
  maxMicros?: number;
  /** The metadata key whose value names a brief's budget group (e.g. `channel`). */
  key?: string;
  /**
   * Limits per value of `key`, in micro-dollars; `*` applies to values not listed. Briefs whose value
   * has no limit are bound by the batch limit only.
   */
  perKey?: Record<string, number>;
}

/** Key value that stands for every value not listed. */
export const OTHER_GROUPS = '*';
export const MAX_BUDGET_GROUPS = 1000;
/** $1M: larger limits are typos, and bounds keep micro-dollar sums exact. */
export const MAX_BUDGET_MICROS = 1_000_000_000_000;

/**
 * Calls a thumbnail may start beyond one per candidate: room for one retry of a call billed without
 * an image. A thumbnail that needs more stops with `BudgetExhausted` rather than pass its allowance.
 */
export const RETRY_ALLOWANCE_CALLS = 1;

/**
 * What one provider call is reserved at: its price-card cost, with the step count only for models
 * that take one. The batch reserves a thumbnail's calls at it; the thumbnail draws on it per call.
 */
export function callReservationMicros(model: FluxModel, steps?: number): number {
  return expectedCostMicros(model, PRICE_CARD[model].steps ? steps : undefined);
}

/** Why `value` is not a limit a batch or group may have, or undefined. */
export function budgetAmountProblem(field: string, value: unknown): string | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= MAX_BUDGET_MICROS
    ? undefined
    : invalidParameter(field, 'a whole number of micro-dollars above 0 and at most $1,000,000', value);
}

export function budgetProblems(budget: BatchBudget | undefined): string[] {
  if (budget === undefined) return [];
  if (typeof budget !== 'object' || budget === null) return ['budget must be an object'];
  const problems: (string | undefined)[] = [];
  if (budget.maxMicros !== undefined) problems.push(budgetAmountProblem('budget.maxMicros', budget.maxMicros));
  if ((budget.key === undefined) !== (budget.perKey === undefined)) {
    problems.push('budget.key and budget.perKey go together: give both or neither');
  }
  if (budget.key !== undefined && (typeof budget.key !== 'string' || budget.key === '' || budget.key.length > 64)) {
    problems.push(invalidParameter('budget.key', 'a metadata key of 1–64 characters', budget.key));
  }
  if (budget.perKey !== undefined) {
    const entries = typeof budget.perKey === 'object' && budget.perKey !== null ? Object.entries(budget.perKey) : [];
    if (entries.length === 0 || entries.length > MAX_BUDGET_GROUPS) {
      problems.push(`budget.perKey must list 1–${MAX_BUDGET_GROUPS} groups`);
    }
    for (const [group, micros] of entries)
      problems.push(budgetAmountProblem(`budget.perKey[${JSON.stringify(group)}]`, micros));
  }
  return problems.filter((p) => p !== undefined);
}

/**
 * `record[key]` only when the record itself has it. Group names and metadata keys are data (a channel
 * may be called `constructor`): a plain lookup would find Object.prototype's members instead.
 */
function own<T>(record: Record<string, T> | undefined, key: string): T | undefined {
  return record !== undefined && Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

/**
 * A per-group map with no prototype: `__proto__`, `constructor` and `toString` are keys like any other,
 * both to read and to write (on a plain object, assigning `__proto__` replaces the prototype instead).
 * Its JSON is the same as a plain object's, so it crosses continue-as-new unchanged.
 */
export function groupMap<T>(entries: Record<string, T> | [string, T][] = []): Record<string, T> {
  const map = Object.create(null) as Record<string, T>;
  for (const [group, value] of Array.isArray(entries) ? entries : Object.entries(entries)) {
    Object.defineProperty(map, group, { value, enumerable: true, writable: true, configurable: true });
  }
  return map;
}

/** The budget group of a brief: the text of its metadata value under the budget key. */
export function budgetGroupOf(
  budget: BatchBudget | undefined,
  metadata: Record<string, MetadataValue> | undefined
): string | undefined {
  if (!budget?.key) return undefined;
  const value = own(metadata, budget.key);
  return value === undefined || value === null ? undefined : String(value);
}

/** The limit that applies to a group: its own, else `*`, else none. */
export function groupLimit(budget: BatchBudget | undefined, group: string | undefined): number | undefined {
  if (!budget?.perKey) return undefined;
  return (group !== undefined ? own(budget.perKey, group) : undefined) ?? own(budget.perKey, OTHER_GROUPS);
}

/** Booked spend and reservations of calls under way, against an optional limit. */
export class Purse {
  private reservedMicros = 0;
  constructor(
    private limitMicros: number | undefined,
    private readonly booked: () => number
  ) {}

  get limit(): number | undefined {
    return this.limitMicros;
  }

  /** Booked plus reserved: what the purse has committed. */
  get committed(): number {
    return this.booked() + this.reservedMicros;
  }

  get reserved(): number {
    return this.reservedMicros;
  }

  /** Whether `micros` more fits under the limit. */
  fits(micros: number): boolean {
    return this.limitMicros === undefined || this.committed + micros <= this.limitMicros;
  }

  /** Reserves `micros` if it fits; the caller releases it once the spend is booked (or never came). */
  reserve(micros: number): boolean {
    if (!this.fits(micros)) return false;
    this.reservedMicros += micros;
    return true;
  }

  release(micros: number): void {
    this.reservedMicros = Math.max(0, this.reservedMicros - micros);
  }

  setLimit(micros: number | undefined): void {
    this.limitMicros = micros;
  }
}
