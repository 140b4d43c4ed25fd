/**
 * Everything one thumbnail workflow knows, in one class: its ledger, the allowance its provider calls
 * draw on, the candidates generated and those that failed, and the result they make. It uses no
 * workflow APIs, so it is unit-tested without a server (test/thumbnail-state.test.ts).
 */
import type { BlobRef } from '../shared/blob-ref.js';
import { Purse, callReservationMicros } from '../shared/budget.js';
import { MAX_REASON_CHARS, boundedMessage } from '../shared/failures.js';
import type { GeneratedCandidate, LedgerEntry } from '../shared/generation.js';
import { Ledger, type FinalAmountListener } from '../shared/ledger.js';
import type { ScoreCandidatesResult } from '../shared/scoring.js';
import {
  bestIndexOf,
  type CandidateFailure,
  type ThumbnailCostView,
  type ThumbnailSlot,
  type ThumbnailWorkflowInput,
  type ThumbnailWorkflowResult,
} from '../shared/thumbnail-workflow.js';
import type { CallBudget } from './provider-calls.js';

export class ThumbnailState {
  readonly slot: ThumbnailSlot;
  readonly ledger: Ledger;
  /** The thumbnail's allowance: each provider call reserves its price-card cost until it is booked. */
  readonly budget: CallBudget;
  private readonly generated: GeneratedCandidate[] = [];
  private readonly failures: CandidateFailure[] = [];

  /**
   * `prior` is the ledger an earlier run of a restarted batch left for this thumbnail: its calls stay
   * booked exactly once, and the allowance covers only this run's calls (the earlier ones were
   * committed then).
   */
  constructor(input: ThumbnailWorkflowInput, prior: readonly LedgerEntry[], onFinal?: FinalAmountListener) {
    const { batchId, manifestSha256, thumbnailId, phase, request } = input;
    this.slot = { batchId, manifestSha256, thumbnailId, phase };
    this.ledger = new Ledger(prior, onFinal);
    const priorMicros = this.ledger.totals.costMicros;
    this.budget = {
      purse: new Purse(input.allowanceMicros, () => this.ledger.totals.costMicros - priorMicros),
      perCallMicros: callReservationMicros(request.model, request.steps),
    };
  }

  addCandidate(candidate: GeneratedCandidate): void {
    this.generated.push(candidate);
  }

  addFailure(failure: CandidateFailure): void {
    this.failures.push({ ...failure, message: boundedMessage(failure.message, MAX_REASON_CHARS) });
  }

  /** The generated candidates' images, in candidate order (completion order varies; the index does not). */
  images(): BlobRef[] {
    return this.inOrder().map((c) => c.image);
  }

  get generatedCount(): number {
    return this.generated.length;
  }

  /** The result when nothing could be generated: the first candidate's failure says why. */
  nothingGenerated(): ThumbnailWorkflowResult {
    const first = this.sortedFailures()[0];
    return this.failed(first?.type ?? 'Error', first ? `${first.type}: ${first.message}` : 'no candidates requested');
  }

  /** The scored result: each candidate with its score and detail, and the best by `bestIndexOf`. */
  scored(scored: ScoreCandidatesResult): ThumbnailWorkflowResult {
    const candidates = this.inOrder().map((c, i) => {
      const detail = scored.scores[i];
      return { ...c, score: detail?.score ?? Number.NaN, ...(detail ? { scoreDetail: detail } : {}) };
    });
    const best = bestIndexOf(candidates.map((c) => c.score));
    return { ...this.record(), candidates, scorer: scored.scorer, ok: true, best };
  }

  /** A thumbnail without a winner keeps what it paid for: its ledger and every candidate generated. */
  failed(type: string, reason: string): ThumbnailWorkflowResult {
    return {
      ...this.record(),
      candidates: this.inOrder().map((c) => ({ ...c, score: Number.NaN })),
      ok: false,
      type,
      reason: boundedMessage(reason, MAX_REASON_CHARS),
    };
  }

  /** What the `cost` query answers while the thumbnail runs. */
  cost(): ThumbnailCostView {
    return { thumbnailId: this.slot.thumbnailId, entries: this.ledger.list(), totals: this.ledger.totals };
  }

  private record() {
    return { ...this.slot, failures: this.sortedFailures(), ledger: this.ledger.list(), totals: this.ledger.totals };
  }

  private inOrder(): GeneratedCandidate[] {
    return [...this.generated].sort((a, b) => a.candidateIndex - b.candidateIndex);
  }

  private sortedFailures(): CandidateFailure[] {
    return [...this.failures].sort((a, b) => a.candidateIndex - b.candidateIndex);
  }
}
