/**
 * The cost ledger kept in workflow state. Pure and sandbox-safe. Entries are keyed by the
 * provider's request id, so booking the same call twice (a reused candidate, a replayed
 * result) is a no-op: a call is never counted twice.
 */
import type { BilledCall, CostBasis, LedgerEntry, Phase } from './generation.js';
import type { FluxModel } from './price-card.js';

export interface LedgerTotals {
  calls: number;
  costMicros: number;
  byPhase: Record<Phase, { calls: number; costMicros: number }>;
  byModel: Partial<Record<FluxModel, { calls: number; costMicros: number; gpuSeconds: number }>>;
  /** Calls that were billed but gave no usable image (e.g. a truncated body). */
  unusableCalls: number;
  unusableCostMicros: number;
  /** Spend by what its amount rests on: confirmed by the provider, estimated, or suspect. */
  byBasis: Record<CostBasis, { calls: number; costMicros: number }>;
}

const BASES: readonly CostBasis[] = ['provider', 'price-card', 'suspect'];

export function emptyTotals(): LedgerTotals {
  return {
    calls: 0,
    costMicros: 0,
    byPhase: { draft: { calls: 0, costMicros: 0 }, reroll: { calls: 0, costMicros: 0 } },
    byModel: {},
    unusableCalls: 0,
    unusableCostMicros: 0,
    byBasis: {
      provider: { calls: 0, costMicros: 0 },
      'price-card': { calls: 0, costMicros: 0 },
      suspect: { calls: 0, costMicros: 0 },
    },
  };
}

/** Adds one entry into running totals (mutates `totals`). */
export function addToTotals(totals: LedgerTotals, entry: LedgerEntry): void {
  applyToTotals(totals, entry, 1);
}

function removeFromTotals(totals: LedgerTotals, entry: LedgerEntry): void {
  applyToTotals(totals, entry, -1);
}

function applyToTotals(totals: LedgerTotals, entry: LedgerEntry, sign: 1 | -1): void {
  const cost = sign * entry.costMicros;
  totals.calls += sign;
  totals.costMicros += cost;
  totals.byPhase[entry.phase].calls += sign;
  totals.byPhase[entry.phase].costMicros += cost;
  const m = (totals.byModel[entry.model] ??= { calls: 0, costMicros: 0, gpuSeconds: 0 });
  m.calls += sign;
  m.costMicros += cost;
  // GPU-seconds are reported to the millisecond; keep the sum exact in whole milliseconds.
  m.gpuSeconds = Math.round((m.gpuSeconds + sign * (entry.gpuSeconds ?? 0)) * 1000) / 1000;
  if (m.calls === 0) delete totals.byModel[entry.model];
  if (entry.outcome === 'unusable') {
    totals.unusableCalls += sign;
    totals.unusableCostMicros += cost;
  }
  const basis = totals.byBasis[entry.basis];
  basis.calls += sign;
  basis.costMicros += cost;
}

export function mergeTotals(into: LedgerTotals, other: LedgerTotals): void {
  into.calls += other.calls;
  into.costMicros += other.costMicros;
  for (const phase of ['draft', 'reroll'] as const) {
    into.byPhase[phase].calls += other.byPhase[phase].calls;
    into.byPhase[phase].costMicros += other.byPhase[phase].costMicros;
  }
  for (const [model, m] of Object.entries(other.byModel) as [
    FluxModel,
    { calls: number; costMicros: number; gpuSeconds: number },
  ][]) {
    const t = (into.byModel[model] ??= { calls: 0, costMicros: 0, gpuSeconds: 0 });
    t.calls += m.calls;
    t.costMicros += m.costMicros;
    t.gpuSeconds = Math.round((t.gpuSeconds + m.gpuSeconds) * 1000) / 1000;
  }
  into.unusableCalls += other.unusableCalls;
  into.unusableCostMicros += other.unusableCostMicros;
  for (const b of BASES) {
    into.byBasis[b].calls += other.byBasis[b].calls;
    into.byBasis[b].costMicros += other.byBasis[b].costMicros;
  }
}

export interface BookingContext {
  thumbnailId: string;
  phase: Phase;
  candidateIndex: number;
  attempt: number;
}

/**
 * Told once per billed call, when its amount is final: at booking, when it is settled if it was booked
 * as an estimate, or when the estimate is closed (`closeEstimates`). Its amounts add up to the ledger's
 * total and never need taking back, so a metric that only goes up can count spend with it.
 */
export type FinalAmountListener = (entry: LedgerEntry) => void;

export class Ledger {
  private readonly entries = new Map<string, LedgerEntry>();
  /** Request ids booked as an estimate and not settled yet. */
  private readonly estimates = new Set<string>();
  readonly totals: LedgerTotals = emptyTotals();

  /** `initial` entries were final for the run that booked them: the listener is not told of them again. */
  constructor(
    initial: readonly LedgerEntry[] = [],
    private readonly onFinal?: FinalAmountListener
  ) {
    for (const e of initial) this.add(e);
  }

  /**
   * Books a billed call; returns false when that call is already in the ledger. An `estimate` (an
   * accepted job, charged but not yet reported) is expected to be settled later.
   */
  book(
    billed: BilledCall,
    context: BookingContext,
    outcome: LedgerEntry['outcome'],
    { estimate = false }: { estimate?: boolean } = {}
  ): boolean {
    if (this.entries.has(billed.requestId)) return false;
    const entry = entryOf(billed, context, outcome);
    this.add(entry);
    if (estimate) this.estimates.add(entry.requestId);
    else this.onFinal?.(entry);
    return true;
  }

  /**
   * Books a call, or replaces what was booked for it: an asynchronous job is booked when the provider
   * accepts it (an estimate, no image yet) and settled when its result says what it cost and whether
   * it gave an image. Still one entry per request id.
   */
  settle(billed: BilledCall, context: BookingContext, outcome: LedgerEntry['outcome']): void {
    const earlier = this.entries.get(billed.requestId);
    if (earlier) {
      removeFromTotals(this.totals, earlier);
      this.entries.delete(billed.requestId);
    }
    const entry = entryOf(billed, { ...context, attempt: earlier?.attempt ?? context.attempt }, outcome);
    this.add(entry);
    if (!earlier || this.estimates.delete(entry.requestId)) this.onFinal?.(entry);
  }

  /** The thumbnail is over: estimates never settled stay at what was booked, which is now final. */
  closeEstimates(): void {
    for (const id of this.estimates) {
      const entry = this.entries.get(id);
      if (entry) this.onFinal?.(entry);
    }
    this.estimates.clear();
  }

  private add(entry: LedgerEntry): void {
    this.entries.set(entry.requestId, entry);
    addToTotals(this.totals, entry);
  }

  list(): LedgerEntry[] {
    return [...this.entries.values()];
  }
}

function entryOf(billed: BilledCall, context: BookingContext, outcome: LedgerEntry['outcome']): LedgerEntry {
  return {
    requestId: billed.requestId,
    thumbnailId: context.thumbnailId,
    phase: context.phase,
    candidateIndex: context.candidateIndex,
    model: billed.model,
    pricingMode: billed.pricingMode,
    ...(billed.gpuSeconds !== undefined ? { gpuSeconds: billed.gpuSeconds } : {}),
    costMicros: billed.costMicros,
    basis: billed.basis,
    attempt: context.attempt,
    ...(billed.creditsRemainingMicros !== undefined ? { creditsRemainingMicros: billed.creditsRemainingMicros } : {}),
    outcome,
  };
}
