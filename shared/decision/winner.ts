/**
 * Which candidate of a thumbnail won and why, from its thumbnail workflows' stored results. Pure and
 * sandbox-safe; the one implementation behind results.jsonl and the contact sheet
 * (activities/outputs/) and `thumbgate result --thumbnail` (client/explain.ts). The rules it applies
 * are the workflow's own: the best draft (`bestIndexOf`, recorded as `best`), then the re-roll against
 * it (`decideReroll`, shared/decision/reroll-decision.ts); the words come from shared/decision/score-explanation.ts.
 */
import type { RerollDecision } from '../batch-workflow.js';
import type { Phase } from '../generation.js';
import { decideReroll } from './reroll-decision.js';
import { componentParts, explainWinner, type ScoreComponentName } from './score-explanation.js';
import { DEFAULT_SCORE_WEIGHTS, type ScoreWeights, type TextCheck } from '../scoring.js';
import { bestScoreOf, type ScoredCandidate, type ThumbnailWorkflowResult } from '../thumbnail-workflow.js';

export interface CandidateView {
  phase: Phase;
  /** Position of the candidate in its phase's result. */
  index: number;
  candidate: ScoredCandidate;
  /** The weights its score was made with (the phase's `scorer.weights`). */
  weights: ScoreWeights;
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

/** A phase's candidates as the outputs see them, with the weights their scores were made with. */
export function views(result: ThumbnailWorkflowResult | undefined, phase: Phase): CandidateView[] {
  const weights = result?.scorer?.weights ?? DEFAULT_SCORE_WEIGHTS;
  return (result?.candidates ?? []).map((candidate, index) => ({ phase, index, candidate, weights }));
}

export function isSameCandidate(a: CandidateView | undefined, b: CandidateView): boolean {
  return a !== undefined && a.phase === b.phase && a.index === b.index;
}

export interface WinnerChoice {
  winner: CandidateView;
  /** Why it won (shared/decision/score-explanation.ts). */
  why?: string;
  /** Set when the stored results disagree with the decision and the winner had to be chosen otherwise. */
  decisionNote?: string;
}

/**
 * The thumbnail's winner among `candidates` (its draft views, then its re-roll views): the best draft,
 * unless the re-roll decision says the re-roll won and its result has a best candidate. Undefined when
 * no draft candidate was scored.
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

/** `thumbgate result BATCH --thumbnail ID`'s answer. */
export interface ThumbnailExplanation {
  batchId: string;
  thumbnailId: string;
  winner: { phase: Phase; candidateIndex: number; score: number } | null;
  /** Why the winner won, or why there is none. */
  why: string;
  candidates: {
    phase: Phase;
    candidateIndex: number;
    winner: boolean;
    score: number | null;
    aesthetic: number | null;
    aestheticRating: number | null;
    alignment: number | null;
    technical: number | null;
    text: TextCheck | null;
    /** Each component's share of the score. */
    points: Record<string, number>;
  }[];
  randomWeights: boolean;
}

/**
 * The explanation of a thumbnail from its workflows' results (the re-roll's, when it ran): the
 * decision the workflow's rule gives, then the same choice of winner the output writer makes.
 */
export function explanationOf(
  batchId: string,
  thumbnailId: string,
  draft: ThumbnailWorkflowResult,
  reroll: ThumbnailWorkflowResult | undefined
): ThumbnailExplanation {
  const decision = derivedDecision(thumbnailId, draft, reroll);
  const candidates = [...views(draft, 'draft'), ...views(reroll, 'reroll')];
  const choice = chooseWinner(draft, reroll, decision, candidates);
  const rows = candidates.map((view) => {
    const c = view.candidate;
    const d = c.scoreDetail;
    return {
      phase: view.phase,
      candidateIndex: c.candidateIndex,
      winner: isSameCandidate(choice?.winner, view),
      score: Number.isNaN(c.score) ? null : c.score,
      aesthetic: d?.aesthetic ?? null,
      aestheticRating: d?.aestheticRating ?? null,
      alignment: d?.alignment.normalized ?? null,
      technical: d?.technical.score ?? null,
      text: d?.text ?? null,
      points: componentPoints(view),
    };
  });
  const winner = choice?.winner;
  return {
    batchId,
    thumbnailId,
    winner: winner
      ? { phase: winner.phase, candidateIndex: winner.candidate.candidateIndex, score: winner.candidate.score }
      : null,
    why: choice?.why ?? (draft.ok ? 'no candidate could be generated' : draft.reason),
    candidates: rows,
    randomWeights: [draft, reroll].some((r) => r?.scorer?.randomWeights === true),
  };
}
