import { CancellationScope, isCancellation, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createBatchRecordActivities } from '../activities/batch-records.js';
import type { createScoringActivities } from '../activities/scoring/index.js';
import { seedFor } from '../shared/seeds.js';
import { scoringTaskQueueFor } from '../shared/task-queues.js';
import { failure } from '../shared/failures.js';
import {
  thumbnailCostQuery,
  thumbnailInputProblems,
  type ThumbnailWorkflowInput,
  type ThumbnailWorkflowResult,
} from '../shared/thumbnail-workflow.js';
import { applicationFailureIn } from './failure-chain.js';
import { countSpend, countThumbnailCancelled, countThumbnailResult } from './metrics.js';
import { CandidateFailedError, generateWithRetries } from './provider-calls.js';
import { ThumbnailState } from './thumbnail-state.js';

const { saveThumbnailResult, loadPriorLedger } = proxyActivities<ReturnType<typeof createBatchRecordActivities>>({
  startToCloseTimeout: '1 minute',
  // Idempotent store calls: a store hiccup of minutes must not lose a thumbnail that was paid for.
  scheduleToCloseTimeout: '30 minutes',
  retry: { maximumInterval: '30 seconds' },
});

const { scoreCandidates } = proxyActivities<ReturnType<typeof createScoringActivities>>({
  startToCloseTimeout: '5 minutes',
  // A crashed scoring worker is noticed in a minute, not after the five-minute timeout.
  heartbeatTimeout: '1 minute',
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
 * (scoring fails, the batch is cancelled at any point), the result with its ledger is stored.
 */
export async function thumbnailWorkflow(input: ThumbnailWorkflowInput): Promise<ThumbnailWorkflowResult> {
  const problems = thumbnailInputProblems(input);
  if (problems.length > 0) throw failure('InvalidThumbnailInput', problems.join('; '));
  const { thumbnailId, phase } = input;
  // A restarted batch continues the ledger of the run that failed, so calls that run paid for
  // (including billed-but-unusable ones) stay counted exactly once.
  const prior = await loadPriorLedger.executeWithOptions({ summary: `earlier ledger of ${thumbnailId}` }, [
    { batchId: input.batchId, manifestSha256: input.manifestSha256, thumbnailId, phase },
  ]);
  // Each call's spend is counted once, when its amount is final (shared/ledger.ts).
  const state = new ThumbnailState(input, prior, countSpend);
  setHandler(thumbnailCostQuery, () => state.cost());
  const save = (result: ThumbnailWorkflowResult) =>
    saveThumbnailResult.executeWithOptions({ summary: `keep the ${phase} result of ${thumbnailId}` }, [result]);

  let result: ThumbnailWorkflowResult;
  try {
    result = await makeThumbnail(input, state);
  } catch (err) {
    // Cancelled while generating, scoring or saving: keep what was paid for (the batch books it from
    // the store, and a restarted batch continues it), then stop as asked.
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() => save(state.failed('Cancelled', 'cancelled')));
      state.ledger.closeEstimates();
      countThumbnailCancelled(phase);
    }
    throw err;
  }
  try {
    // Not cancellable: a cancel arriving now must not lose the record of what was paid for.
    await CancellationScope.nonCancellable(() => save(result));
  } catch (err) {
    // The batch still books the ledger; without its record the thumbnail cannot be delivered.
    result = state.failed('ResultNotStored', `the ${phase} result could not be stored: ${messageOf(err)}`);
  }
  state.ledger.closeEstimates();
  countThumbnailResult(result);
  return result;
}

/** Generates the candidates, scores them and picks the best; failures end up in the result, not thrown. */
async function makeThumbnail(input: ThumbnailWorkflowInput, state: ThumbnailState): Promise<ThumbnailWorkflowResult> {
  const { batchId, thumbnailId, phase, request } = input;
  // allSettled, not all: on a cancel every candidate's call under way is answered (and booked) first.
  const settled = await Promise.allSettled(
    Array.from({ length: input.candidates }, async (_, candidateIndex) => {
      const seed = seedFor(batchId, thumbnailId, phase, candidateIndex);
      try {
        state.addCandidate(
          await generateWithRetries(
            { batchId, thumbnailId, phase, candidateIndex, params: { ...request, seed } },
            state.ledger,
            state.budget,
            `${thumbnailId} ${phase} ${candidateIndex + 1}/${input.candidates} on ${request.model}`
          )
        );
      } catch (err) {
        if (!(err instanceof CandidateFailedError)) throw err;
        state.addFailure({ candidateIndex, type: err.type, message: err.message, attempts: err.attempts });
      }
    })
  );
  const thrown = settled.find((s) => s.status === 'rejected');
  if (thrown) throw thrown.reason;

  if (state.generatedCount === 0) return state.nothingGenerated();
  const n = state.generatedCount;
  const what = n === 1 ? `the ${phase} candidate` : `${n} ${phase} candidates`;
  try {
    // CPU work goes to the scoring queue beside this workflow's own queue.
    const scored = await scoreCandidates.executeWithOptions(
      { taskQueue: scoringTaskQueueFor(workflowInfo().taskQueue), summary: `score ${what} of ${thumbnailId}` },
      [{ prompt: request.prompt, images: state.images() }]
    );
    return state.scored(scored);
  } catch (err) {
    if (isCancellation(err)) throw err;
    // The drafts were paid for: the thumbnail fails with its ledger intact.
    return state.failed(applicationFailureIn(err)?.type ?? 'Error', `scoring failed: ${messageOf(err)}`);
  }
}
