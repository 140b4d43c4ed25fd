/**
 * `thumbgate result BATCH --thumbnail ID`: why a thumbnail's winner won, read from its thumbnail
 * workflows' results on the Temporal server (so it works wherever the CLI runs, without the output
 * folder). The winner, its explanation and the score points come from the output writer's own
 * functions (activities/outputs/thumbnail-outcome.ts), as in results.jsonl and the contact sheet.
 */
import { WorkflowFailedError, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { Phase } from '../shared/generation.js';
import { isSameCandidate } from '../activities/outputs/results-line.js';
import { chooseWinner, componentPoints, derivedDecision, views } from '../activities/outputs/thumbnail-outcome.js';
import { candidateLabel, describeTextCheck } from '../shared/score-explanation.js';
import { RANDOM_WEIGHTS_NOTICE, type TextCheck } from '../shared/scoring.js';
import type { ThumbnailWorkflowResult } from '../shared/thumbnail-workflow.js';
import type { thumbnailWorkflow } from '../workflows/thumbnail.js';
import type { Connected } from './connection.js';
import { CliError, EXIT } from './exit-codes.js';
import { describeFailure } from './failure-cause.js';
import { table } from './output.js';

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

/** The thumbnail workflow's result for one phase; undefined when that phase never ran. */
async function phaseResult(
  temporal: Connected,
  batchId: string,
  thumbnailId: string,
  phase: Phase
): Promise<ThumbnailWorkflowResult | undefined> {
  const handle: WorkflowHandle<typeof thumbnailWorkflow> = temporal.client.workflow.getHandle(
    `${batchId}/${phase}/${thumbnailId}`
  );
  try {
    const { status } = await handle.describe();
    if (status.name === 'RUNNING') {
      throw new CliError(EXIT.stillRunning, `thumbnail ${thumbnailId} (${phase}) of batch ${batchId} is still running`);
    }
    return await handle.result();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    if (err instanceof WorkflowFailedError) {
      throw new CliError(EXIT.batchFailed, `thumbnail ${thumbnailId} (${phase}) failed: ${describeFailure(err)}`);
    }
    throw err;
  }
}

export async function explainThumbnail(
  temporal: Connected,
  batchId: string,
  thumbnailId: string
): Promise<ThumbnailExplanation> {
  const [draft, reroll] = await Promise.all(
    (['draft', 'reroll'] as const).map((phase) => phaseResult(temporal, batchId, thumbnailId, phase))
  );
  if (!draft) {
    throw new CliError(
      EXIT.notFound,
      `batch ${batchId} has no thumbnail ${JSON.stringify(thumbnailId)} (use an id from the manifest's "id" field)`
    );
  }
  return explanationOf(batchId, thumbnailId, draft, reroll);
}

/** The explanation of a thumbnail from its workflows' results (the re-roll's, when it ran). */
export function explanationOf(
  batchId: string,
  thumbnailId: string,
  draft: ThumbnailWorkflowResult,
  reroll: ThumbnailWorkflowResult | undefined
): ThumbnailExplanation {
  // The output writer's own rules: the batch's re-roll rule, then its choice of winner.
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

const fixed = (v: number | null, digits = 3): string => (v === null ? '—' : v.toFixed(digits));

export function formatExplanation(x: ThumbnailExplanation): string {
  const head = x.winner
    ? `${x.thumbnailId}: ${candidateLabel(x.winner.phase, x.winner.candidateIndex)} won with ${x.winner.score.toFixed(3)}`
    : `${x.thumbnailId}: no winner`;
  const rows = [['', 'candidate', 'score', 'aesthetic', 'rating', 'alignment', 'technical', 'text', 'text read']];
  for (const c of x.candidates) {
    rows.push([
      c.winner ? '★' : '',
      candidateLabel(c.phase, c.candidateIndex),
      fixed(c.score),
      fixed(c.aesthetic),
      fixed(c.aestheticRating, 2),
      fixed(c.alignment),
      fixed(c.technical),
      c.text?.measured ? fixed(c.text.fidelity) : '—',
      c.text ? describeTextCheck(c.text) : '',
    ]);
  }
  return [...(x.randomWeights ? [`⚠ ${RANDOM_WEIGHTS_NOTICE}`] : []), head, `why: ${x.why}`, '', table(rows)].join(
    '\n'
  );
}
