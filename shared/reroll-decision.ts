/**
 * The rule that picks between a thumbnail's best draft and its re-roll. Pure and sandbox-safe: the
 * batch workflow decides with it, and the output writer applies it to stored results for decisions
 * the workflow did not keep (it keeps a bounded list so a 10,000-thumbnail batch stays small).
 */
import type { RerollDecision } from './batch-workflow.js';
import type { ThumbnailWorkflowResult } from './thumbnail-workflow.js';

/** The highest-scoring candidate's score, when the result has a scored best candidate. */
export function bestScoreOf(result: Pick<ThumbnailWorkflowResult, 'best' | 'candidates'>): number | undefined {
  return result.best === undefined ? undefined : result.candidates[result.best]?.score;
}

/** Winner and reason: the re-roll wins only by scoring strictly higher; a failed re-roll leaves the draft. */
export function decideReroll(
  id: string,
  draftScore: number,
  reroll: Pick<ThumbnailWorkflowResult, 'best' | 'candidates' | 'reason'> | string
): RerollDecision {
  if (typeof reroll === 'string') {
    return { id, draftScore, winner: 'draft', reason: `re-roll failed (${reroll}); the draft stands` };
  }
  const rerollScore = bestScoreOf(reroll);
  if (rerollScore === undefined) {
    return {
      id,
      draftScore,
      winner: 'draft',
      reason: `re-roll failed (${reroll.reason ?? 'no image'}); the draft stands`,
    };
  }
  const winner = rerollScore > draftScore ? 'reroll' : 'draft';
  return {
    id,
    draftScore,
    rerollScore,
    winner,
    reason:
      winner === 'reroll'
        ? `re-roll scored ${rerollScore.toFixed(3)} over the draft's ${draftScore.toFixed(3)}`
        : `the draft's ${draftScore.toFixed(3)} beat the re-roll's ${rerollScore.toFixed(3)}`,
  };
}
