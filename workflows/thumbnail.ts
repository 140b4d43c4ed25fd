import { CancellationScope, isCancellation, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createBatchRecordActivities } from '../activities/batch-records.js';
import type { createScoringActivities } from '../activities/scoring/index.js';
import type { GeneratedCandidate } from '../shared/generation.js';
import { Ledger } from '../shared/ledger.js';
import { seedFor } from '../shared/seeds.js';
import { scoringTaskQueueFor } from '../shared/task-queues.js';
import {
  bestIndexOf,
  thumbnailCostQuery,
  type CandidateFailure,
  type ThumbnailWorkflowInput,
  type ThumbnailWorkflowResult,
} from '../shared/thumbnail-workflow.js';
import { applicationFailureIn } from './failure-chain.js';
import { CandidateFailedError, generateWithRetries } from './provider-calls.js';

const { saveThumbnailResult, loadPriorLedger } = proxyActivities<ReturnType<typeof createBatchRecordActivities>>({
  startToCloseTimeout: '1 minute',
  // Idempotent store calls: a store hiccup of minutes must not lose a thumbnail that was paid for.
  scheduleToCloseTimeout: '30 minutes',
  retry: { maximumInterval: '30 seconds' },
});

const { scoreCandidates } = proxyActivities<ReturnType<typeof createScoringActivities>>({
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 3 },
});

function messageOf(err: unknown): string {
  const failure = applicationFailureIn(err);
  if (failure) return failure.message;
  return err instanceof Error ? err.message : String(err);
}

/**
 * One thumbnail brief: its candidates generated in parallel (distinct deterministic seeds), scored
 * together in one CLIP activity call, the best kept. Every billed call is booked in a ledger held in
 * workflow state and queryable with `cost` while it runs. Whatever happens after the provider was paid
 * (scoring fails, the batch is cancelled), the result keeps its ledger.
 */
export async function thumbnailWorkflow(input: ThumbnailWorkflowInput): Promise<ThumbnailWorkflowResult> {
  const { batchId, thumbnailId, phase, request } = input;
  // A restarted batch continues the ledger of the run that failed, so calls that run paid for
  // (including billed-but-unusable ones) stay counted exactly once.
  const prior = await loadPriorLedger.executeWithOptions({ summary: `earlier ledger of ${thumbnailId}` }, [
    { batchId, thumbnailId, phase },
  ]);
  const ledger = new Ledger(prior);
  setHandler(thumbnailCostQuery, () => ({ thumbnailId, entries: ledger.list(), totals: ledger.totals }));

  const generated: GeneratedCandidate[] = [];
  const failures: CandidateFailure[] = [];
  const record = () => ({ batchId, thumbnailId, phase, failures, ledger: ledger.list(), totals: ledger.totals });
  const failed = (type: string, reason: string): ThumbnailWorkflowResult => ({
    ...record(),
    candidates: generated.map((c) => ({ ...c, score: Number.NaN })),
    ok: false,
    type,
    reason,
  });
  const save = (result: ThumbnailWorkflowResult) =>
    saveThumbnailResult.executeWithOptions({ summary: `keep the ${phase} result of ${thumbnailId}` }, [result]);

  try {
    await Promise.all(
      Array.from({ length: input.candidates }, async (_, candidateIndex) => {
        const seed = seedFor(batchId, thumbnailId, phase, candidateIndex);
        try {
          generated.push(
            await generateWithRetries(
              { batchId, thumbnailId, phase, candidateIndex, params: { ...request, seed } },
              ledger,
              `${thumbnailId} ${phase} ${candidateIndex + 1}/${input.candidates} on ${request.model}`
            )
          );
        } catch (err) {
          if (!(err instanceof CandidateFailedError)) throw err;
          failures.push({ candidateIndex, type: err.type, message: err.message, attempts: err.attempts });
        }
      })
    );
  } catch (err) {
    // Keep what was paid for, so a restarted batch books it; then stop as asked.
    if (isCancellation(err)) await CancellationScope.nonCancellable(() => save(failed('Cancelled', 'cancelled')));
    throw err;
  }
  // Completion order varies; the candidate index does not.
  generated.sort((a, b) => a.candidateIndex - b.candidateIndex);
  failures.sort((a, b) => a.candidateIndex - b.candidateIndex);

  let result: ThumbnailWorkflowResult;
  const first = failures[0];
  if (generated.length === 0) {
    result = failed(first?.type ?? 'Error', first ? `${first.type}: ${first.message}` : 'no candidates requested');
  } else {
    const what = generated.length === 1 ? `the ${phase} candidate` : `${generated.length} ${phase} candidates`;
    try {
      // CPU work goes to the scoring queue beside this workflow's own queue.
      const scored = await scoreCandidates.executeWithOptions(
        { taskQueue: scoringTaskQueueFor(workflowInfo().taskQueue), summary: `score ${what} of ${thumbnailId}` },
        [{ prompt: request.prompt, images: generated.map((c) => c.image) }]
      );
      const candidates = generated.map((c, i) => {
        const detail = scored.scores[i];
        return { ...c, score: detail?.score ?? Number.NaN, ...(detail ? { scoreDetail: detail } : {}) };
      });
      const best = bestIndexOf(candidates.map((c) => c.score));
      result = { ...record(), candidates, scorer: scored.scorer, ok: true, best };
    } catch (err) {
      if (isCancellation(err)) throw err;
      // The drafts were paid for: the thumbnail fails with its ledger intact.
      result = failed(applicationFailureIn(err)?.type ?? 'Error', `scoring failed: ${messageOf(err)}`);
    }
  }
  try {
    await save(result);
  } catch (err) {
    if (isCancellation(err)) throw err;
    // The batch still books the ledger; without its record the thumbnail cannot be delivered.
    return failed('ResultNotStored', `the ${phase} result could not be stored: ${messageOf(err)}`);
  }
  return result;
}
