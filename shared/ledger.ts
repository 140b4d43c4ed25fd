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

export class Ledger {
  private readonly entries = new Map<string, LedgerEntry>();
  readonly totals: LedgerTotals = emptyTotals();

  constructor(initial: readonly LedgerEntry[] = []) {
    for (const e of initial) this.add(e);
  }

  /** Books a billed call; returns false when that call is already in the ledger. */
  book(billed: BilledCall, context: BookingContext, outcome: LedgerEntry['outcome']): boolean {
    if (this.entries.has(billed.requestId)) return false;
    this.add(entryOf(billed, context, outcome));
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
    this.add(entryOf(billed, { ...context, attempt: earlier?.attempt ?? context.attempt }, outcome));
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
