/**
 * `thumbgate result BATCH --thumbnail ID`: why a thumbnail's winner won, read from its thumbnail
 * workflows' results on the Temporal server (so it works wherever the CLI runs, without the output
 * folder). The winner, its explanation and the score points come from shared/decision/winner.ts, the same
 * functions the output writer uses for results.jsonl and the contact sheet.
 */
import { WorkflowFailedError, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { Phase } from '../shared/generation.js';
import { candidateLabel, describeTextCheck } from '../shared/decision/score-explanation.js';
import { RANDOM_WEIGHTS_NOTICE } from '../shared/scoring.js';
import type { ThumbnailWorkflowResult } from '../shared/thumbnail-workflow.js';
import { explanationOf, type ThumbnailExplanation } from '../shared/decision/winner.js';
import type { thumbnailWorkflow } from '../workflows/thumbnail.js';
import type { Connected } from './connection.js';
import { CliError, EXIT } from './exit-codes.js';
import { describeFailure } from './failure-cause.js';
import { table } from './output.js';

export type { ThumbnailExplanation } from '../shared/decision/winner.js';

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
