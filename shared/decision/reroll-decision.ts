/**
 * The rule that picks between a thumbnail's best draft and its re-roll. Pure and sandbox-safe: the
 * batch workflow decides with it, and the output writer applies it to stored results for decisions
 * the workflow did not keep (it keeps a bounded list so a 10,000-thumbnail batch stays small).
 */
import type { RerollDecision } from '../batch-workflow.js';
import { bestScoreOf, type ThumbnailWorkflowResult } from '../thumbnail-workflow.js';

/** Winner and reason: the re-roll wins only by scoring strictly higher; a failed re-roll leaves the draft. */
export function decideReroll(id: string, draftScore: number, reroll: ThumbnailWorkflowResult): RerollDecision {
  const rerollScore = bestScoreOf(reroll);
  if (rerollScore === undefined) {
    const why = reroll.ok ? 'no image' : reroll.reason;
    return { id, draftScore, winner: 'draft', reason: `re-roll failed (${why}); the draft stands` };
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
