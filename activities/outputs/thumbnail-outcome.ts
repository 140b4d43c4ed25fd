/**
 * What one brief ended up as: which candidate won and why (shared/decision/winner.ts), or why there is no
 * winner, with its failures, ledger and cost. Pure: it only reads the stored results and the batch's
 * re-roll decision (listed, or derived from the stored results with the workflow's rule), so it is
 * tested without images.
 */
import type { RerollDecision } from '../../shared/batch-workflow.js';
import type { LedgerEntry, Phase } from '../../shared/generation.js';
import type { ThumbnailBrief } from '../../shared/thumbnail-brief.js';
import type { CandidateFailure, ThumbnailWorkflowResult } from '../../shared/thumbnail-workflow.js';
import { chooseWinner, derivedDecision, views, type CandidateView } from '../../shared/decision/winner.js';

export interface PhaseCost {
  calls: number;
  costMicros: number;
}

export interface ThumbnailOutcome {
  brief: ThumbnailBrief;
  status: 'ok' | 'failed';
  /** Why there is no winner (status `failed`). */
  reason?: string;
  winner?: CandidateView;
  /**
   * The batch's re-roll decision, when this thumbnail was re-rolled: the listed one, otherwise derived
   * from the stored re-roll result with `decideReroll`.
   */
  decision?: RerollDecision;
  /** Why the winner won, component by component (shared/decision/score-explanation.ts). */
  why?: string;
  /** Set when the stored results disagree with the decision and the winner had to be chosen otherwise. */
  decisionNote?: string;
  /** Draft candidates first, then re-roll candidates. */
  candidates: CandidateView[];
  failures: (CandidateFailure & { phase: Phase })[];
  /** Every billed call of both phases, drafts first, each phase by candidate and attempt. */
  ledger: LedgerEntry[];
  cost: PhaseCost & { byPhase: Record<Phase, PhaseCost> };
  /** True when any of this thumbnail's scores came from a randomly initialised model. */
  randomWeights: boolean;
}

function usesRandomWeights(result: ThumbnailWorkflowResult | undefined): boolean {
  if (!result) return false;
  return result.scorer?.randomWeights === true || result.candidates.some((c) => c.scoreDetail?.randomWeights === true);
}

function sortedLedger(result: ThumbnailWorkflowResult | undefined): LedgerEntry[] {
  return [...(result?.ledger ?? [])].sort((a, b) => a.candidateIndex - b.candidateIndex || a.attempt - b.attempt);
}

function phaseCost(result: ThumbnailWorkflowResult | undefined): PhaseCost {
  // Summed from the entries (not `totals`) so the cost shown is exactly what ledger.csv lists.
  const entries = result?.ledger ?? [];
  return { calls: entries.length, costMicros: entries.reduce((sum, e) => sum + e.costMicros, 0) };
}

export function decideOutcome(
  brief: ThumbnailBrief,
  draft: ThumbnailWorkflowResult | undefined,
  reroll: ThumbnailWorkflowResult | undefined,
  listed: RerollDecision | undefined,
  notStartedReason?: string
): ThumbnailOutcome {
  const decision = listed ?? derivedDecision(brief.id, draft, reroll);
  const draftCost = phaseCost(draft);
  const rerollCost = phaseCost(reroll);
  const outcome: ThumbnailOutcome = {
    brief,
    status: 'failed',
    candidates: [...views(draft, 'draft'), ...views(reroll, 'reroll')],
    failures: [
      ...(draft?.failures ?? []).map((f) => ({ ...f, phase: 'draft' as const })),
      ...(reroll?.failures ?? []).map((f) => ({ ...f, phase: 'reroll' as const })),
    ],
    ledger: [...sortedLedger(draft), ...sortedLedger(reroll)],
    cost: {
      calls: draftCost.calls + rerollCost.calls,
      costMicros: draftCost.costMicros + rerollCost.costMicros,
      byPhase: { draft: draftCost, reroll: rerollCost },
    },
    randomWeights: usesRandomWeights(draft) || usesRandomWeights(reroll),
    ...(decision ? { decision } : {}),
  };

  if (!draft) {
    outcome.reason = notStartedReason ?? 'no draft result was recorded (the thumbnail workflow did not finish)';
    return outcome;
  }
  const choice = chooseWinner(draft, reroll, decision, outcome.candidates);
  if (!choice) {
    outcome.reason = draft.ok ? 'no draft candidate could be generated' : draft.reason;
    return outcome;
  }
  outcome.status = 'ok';
  return { ...outcome, ...choice };
}
