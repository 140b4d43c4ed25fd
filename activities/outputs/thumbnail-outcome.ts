/**
 * What one brief ended up as: which candidate won and why, or why there is no winner. Pure: it
 * only reads the stored results and the batch's re-roll decision (listed, or derived from the stored
 * results with the workflow's rule), so it is tested without images.
 */
import type { RerollDecision } from '../../shared/batch-workflow.js';
import type { LedgerEntry, Phase } from '../../shared/generation.js';
import { decideReroll } from '../../shared/reroll-decision.js';
import { componentParts, explainWinner, type ScoreComponentName } from '../../shared/score-explanation.js';
import { DEFAULT_SCORE_WEIGHTS, type ScoreWeights } from '../../shared/scoring.js';
import type { ThumbnailBrief } from '../../shared/thumbnail-brief.js';
import {
  bestScoreOf,
  type CandidateFailure,
  type ScoredCandidate,
  type ThumbnailWorkflowResult,
} from '../../shared/thumbnail-workflow.js';

export interface CandidateView {
  phase: Phase;
  /** Position of the candidate in its phase's result. */
  index: number;
  candidate: ScoredCandidate;
  /** The weights its score was made with (the phase's `scorer.weights`). */
  weights: ScoreWeights;
}

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
  /** Why the winner won, component by component (shared/score-explanation.ts). */
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

/** The candidate the workflow chose as best (the one its re-roll decisions were about); none for a failure. */
export function bestIndex(result: ThumbnailWorkflowResult): number | undefined {
  return result.ok && result.candidates[result.best] ? result.best : undefined;
}

/**
 * The re-roll decision for a thumbnail whose decision the batch did not list (it keeps a bounded list):
 * the workflow's own rule applied to the stored results. Undefined when there is no stored re-roll (the
 * thumbnail was not re-rolled) or no scored best draft to compare it with (the workflow re-rolls only
 * thumbnails that have one).
 */
export function derivedDecision(
  id: string,
  draft: ThumbnailWorkflowResult | undefined,
  reroll: ThumbnailWorkflowResult | undefined
): RerollDecision | undefined {
  if (!reroll) return undefined;
  const draftScore = draft ? bestScoreOf(draft) : undefined;
  return draftScore === undefined ? undefined : decideReroll(id, draftScore, reroll);
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

/** A phase's candidates as the outputs see them, with the weights their scores were made with. */
export function views(result: ThumbnailWorkflowResult | undefined, phase: Phase): CandidateView[] {
  const weights = result?.scorer?.weights ?? DEFAULT_SCORE_WEIGHTS;
  return (result?.candidates ?? []).map((candidate, index) => ({ phase, index, candidate, weights }));
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

export interface WinnerChoice {
  winner: CandidateView;
  /** Why it won (shared/score-explanation.ts). */
  why?: string;
  /** Set when the stored results disagree with the decision and the winner had to be chosen otherwise. */
  decisionNote?: string;
}

/**
 * The thumbnail's winner among `candidates` (its draft views, then its re-roll views): the best draft,
 * unless the re-roll decision says the re-roll won and its result has a best candidate. Undefined when
 * no draft candidate was scored. `thumbgate result --thumbnail` chooses with it too.
 */
export function chooseWinner(
  draft: ThumbnailWorkflowResult,
  reroll: ThumbnailWorkflowResult | undefined,
  decision: RerollDecision | undefined,
  candidates: readonly CandidateView[]
): WinnerChoice | undefined {
  const draftBest = bestIndex(draft);
  if (draftBest === undefined) return undefined;
  const why = explainWinner(draft, reroll, decision);
  const base = why ? { why } : {};
  const draftWinner = candidates[draftBest]!;
  if (decision?.winner !== 'reroll') return { ...base, winner: draftWinner };
  const rerollBest = reroll ? bestIndex(reroll) : undefined;
  if (reroll && rerollBest !== undefined) {
    return { ...base, winner: candidates[draft.candidates.length + rerollBest]! };
  }
  // The decision says re-roll but its result is gone (or unusable): the draft is still a usable thumbnail.
  return {
    ...base,
    winner: draftWinner,
    decisionNote: reroll
      ? 'the re-roll won but its stored result has no usable candidate; the best draft was kept'
      : 'the re-roll won but its result is not in the store; the best draft was kept',
  };
}

/** Each measured component's share of the candidate's score (they add up to it). */
export function componentPoints(view: CandidateView): Partial<Record<ScoreComponentName, number>> {
  const detail = view.candidate.scoreDetail;
  return detail ? Object.fromEntries(componentParts(detail, view.weights).map((p) => [p.name, p.points])) : {};
}
