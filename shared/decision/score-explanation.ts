/**
 * Why a candidate won: each candidate's components with the part of the score each makes, and the
 * winner set against the runner-up component by component. Pure and sandbox-safe; the one
 * implementation behind results.jsonl, the contact sheet and `thumbgate result --thumbnail`.
 */
import type { RerollDecision } from '../batch-workflow.js';
import type { Phase } from '../generation.js';
import {
  DEFAULT_SCORE_WEIGHTS,
  FAULT_PENALTY,
  isTextFault,
  TEXT_FAULT_BELOW,
  type CandidateScore,
  type ScoreWeights,
  type TextCheck,
} from '../scoring.js';
import type { ScoredCandidate, ThumbnailWorkflowResult } from '../thumbnail-workflow.js';

export const SCORE_COMPONENTS = ['aesthetic', 'alignment', 'technical', 'text'] as const;
export type ScoreComponentName = (typeof SCORE_COMPONENTS)[number];

export interface ComponentPart {
  name: ScoreComponentName;
  /** The component's value in [0, 1]. */
  value: number;
  weight: number;
  /**
   * weight × value / (sum of the weights of the measured components): its share of the score, less
   * the fault's penalty when the component has one.
   */
  points: number;
  /** The fault this component gives the candidate (misspelt requested text), in words. */
  fault?: string;
}

/** A candidate as the explanation sees it: a label for people, its score and the scorer's detail. */
export interface ExplainedCandidate {
  /** e.g. `draft #2` or `re-roll #0`. */
  label: string;
  score?: number;
  detail?: CandidateScore;
}

/** The value each component entered the score with; text only when it was measured. */
function componentValues(detail: CandidateScore): Partial<Record<ScoreComponentName, number>> {
  return {
    aesthetic: detail.aesthetic,
    alignment: detail.alignment.normalized,
    technical: detail.technical.score,
    ...(detail.text?.measured ? { text: detail.text.fidelity } : {}),
  };
}

/** How a misspelt requested text is named wherever a score is explained. */
const MISSPELT = `misspelt (fidelity below ${TEXT_FAULT_BELOW}): a fault, −${FAULT_PENALTY.toFixed(3)}`;

/**
 * The parts that add up to the candidate's score (shared/scoring.ts `combineScore`): the same
 * weighted mean, split by component. `weights` are the scorer's (the result's `scorer.weights`).
 */
export function componentParts(detail: CandidateScore, weights: ScoreWeights = DEFAULT_SCORE_WEIGHTS): ComponentPart[] {
  const values = componentValues(detail);
  const measured = SCORE_COMPONENTS.filter((name) => values[name] !== undefined);
  const total = measured.reduce((sum, name) => sum + weights[name], 0);
  return measured.map((name) => {
    const value = values[name]!;
    const share = total > 0 ? (weights[name] * value) / total : 0;
    // The fault's penalty is carried by the component that caused it, so the parts still add up.
    return name === 'text' && isTextFault(value)
      ? { name, value, weight: weights[name], points: share - FAULT_PENALTY, fault: MISSPELT }
      : { name, value, weight: weights[name], points: share };
  });
}

/** The text check in words: `"I FOUND IT" read as "I FOUNO IT"`, or why it was not measured. */
export function describeTextCheck(text: TextCheck): string {
  if (!text.measured) return `"${text.requested}" not measured (${text.reason})`;
  const read = `"${text.requested}" read as ${text.read === '' ? 'nothing' : `"${text.read}"`}`;
  return isTextFault(text.fidelity) ? `${read}, ${MISSPELT}` : read;
}

/** One line per candidate: `aesthetic 0.62 (rating 5.93) · alignment 0.71 · technical 0.55 · text 0.50 …`. */
export function describeComponents(detail: CandidateScore): string {
  const values = componentValues(detail);
  const parts = SCORE_COMPONENTS.flatMap((name) => {
    const value = values[name];
    if (name === 'text')
      return detail.text
        ? [`text ${value === undefined ? '—' : value.toFixed(2)} (${describeTextCheck(detail.text)})`]
        : [];
    const rating =
      name === 'aesthetic' && detail.aestheticRating !== undefined
        ? ` (rating ${detail.aestheticRating.toFixed(2)})`
        : '';
    return [`${name} ${value!.toFixed(2)}${rating}`];
  });
  return parts.join(' · ');
}

/** Differences smaller than this (in score points) are not worth naming. */
const NOTABLE_POINTS = 0.0005;

function signed(points: number): string {
  return `${points >= 0 ? '+' : '−'}${Math.abs(points).toFixed(3)}`;
}

/**
 * Why `candidates[best]` won among `candidates`: its margin over the runner-up, the components that
 * made the difference for it (largest first) and those that favoured the runner-up. The winner is the
 * workflow's choice (`bestIndexOf`: highest score, first of equals); this only explains it.
 */
export function whyBest(
  candidates: readonly ExplainedCandidate[],
  best: number,
  weights: ScoreWeights = DEFAULT_SCORE_WEIGHTS
): string {
  const winner = candidates[best];
  if (winner?.score === undefined) return 'no scored candidate';
  const rivals = candidates
    .map((c, i) => ({ c, i }))
    .filter(({ c, i }) => i !== best && c.score !== undefined && !Number.isNaN(c.score));
  if (rivals.length === 0) return `${winner.label} was the only scored candidate (${winner.score.toFixed(3)})`;
  const runner = rivals.reduce((a, b) => (b.c.score! > a.c.score! ? b : a)).c;
  const margin = winner.score - runner.score!;
  const head =
    margin === 0
      ? `${winner.label} tied with ${runner.label} at ${winner.score.toFixed(3)} and came first`
      : `${winner.label} beat ${runner.label} by ${margin.toFixed(3)} (${winner.score.toFixed(3)} vs ${runner.score!.toFixed(3)})`;
  if (!winner.detail || !runner.detail) return head;

  const ours = new Map(componentParts(winner.detail, weights).map((p) => [p.name, p.points]));
  const theirs = new Map(componentParts(runner.detail, weights).map((p) => [p.name, p.points]));
  const diffs = SCORE_COMPONENTS.filter((name) => ours.has(name) || theirs.has(name))
    .map((name) => ({ name, points: (ours.get(name) ?? 0) - (theirs.get(name) ?? 0) }))
    .filter((d) => Math.abs(d.points) >= NOTABLE_POINTS)
    .sort((a, b) => Math.abs(b.points) - Math.abs(a.points));
  const faulty = [winner, runner].filter((c) => c.detail?.text?.measured && isTextFault(c.detail.text.fidelity));
  const faultNote = faulty.length > 0 ? `; ${faulty.map((c) => c.label).join(' and ')} misspelt it: a fault` : '';
  const textNote = (name: ScoreComponentName): string =>
    name === 'text' && winner.detail?.text?.measured && runner.detail?.text?.measured
      ? ` ("${winner.detail.text.read}" vs "${runner.detail.text.read}" for "${winner.detail.text.requested}"${faultNote})`
      : '';
  const forWinner = diffs.filter((d) => d.points > 0).map((d) => `${d.name} ${signed(d.points)}${textNote(d.name)}`);
  const forRunner = diffs.filter((d) => d.points < 0).map((d) => `${d.name} ${signed(d.points)}${textNote(d.name)}`);
  const clauses = [
    forWinner.length > 0 ? `won on ${forWinner.join(', ')}` : undefined,
    forRunner.length > 0 ? `${runner.label} was ahead on ${forRunner.join(', ')}` : undefined,
  ].filter((c) => c !== undefined);
  return clauses.length > 0 ? `${head}: ${clauses.join('; ')}` : head;
}

/** How people refer to a candidate: `draft #2`, `re-roll #0`. */
export function candidateLabel(phase: Phase, candidateIndex: number): string {
  return `${phase === 'draft' ? 'draft' : 're-roll'} #${candidateIndex}`;
}

function explained(phase: Phase, c: ScoredCandidate): ExplainedCandidate {
  return {
    label: candidateLabel(phase, c.candidateIndex),
    ...(Number.isNaN(c.score) ? {} : { score: c.score }),
    ...(c.scoreDetail ? { detail: c.scoreDetail } : {}),
  };
}

function weightsOf(result: ThumbnailWorkflowResult): ScoreWeights {
  return result.scorer?.weights ?? DEFAULT_SCORE_WEIGHTS;
}

/**
 * Why the thumbnail's winner won, following the workflow's two rules: the best draft among the drafts
 * (`bestIndexOf`); then, for a re-rolled thumbnail, the re-roll against that draft (`decideReroll`).
 * Undefined when there is no winner.
 */
export function explainWinner(
  draft: ThumbnailWorkflowResult | undefined,
  reroll: ThumbnailWorkflowResult | undefined,
  decision: RerollDecision | undefined
): string | undefined {
  if (!draft?.ok || !draft.candidates[draft.best]) return undefined;
  const drafts = draft.candidates.map((c) => explained('draft', c));
  const amongDrafts = whyBest(drafts, draft.best, weightsOf(draft));
  const rerollBest = reroll?.ok ? reroll.candidates[reroll.best] : undefined;
  if (!decision || !reroll || !rerollBest) {
    return decision ? `${amongDrafts}; ${decision.reason}` : amongDrafts;
  }
  const pair = [drafts[draft.best]!, explained('reroll', rerollBest)];
  const versus = whyBest(pair, decision.winner === 'reroll' ? 1 : 0, weightsOf(reroll));
  return decision.winner === 'reroll'
    ? `re-rolled: ${versus}`
    : `re-rolled, the draft stands: ${versus}; ${amongDrafts}`;
}
