import {
  CancellationScope,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { createBatchRecordActivities } from '../activities/batch-records.js';
import type { createScoringActivities } from '../activities/scoring/index.js';
import { expectedImageSize, toRequestBody } from '../shared/generation-request.js';
import { Ledger } from '../shared/ledger.js';
import { seedFor } from '../shared/seeds.js';
import { scoringTaskQueueFor } from '../shared/task-queues.js';
import {
  thumbnailCostQuery,
  type CandidateFailure,
  type ScoredCandidate,
  type ThumbnailWorkflowInput,
  type ThumbnailWorkflowResult,
} from '../shared/thumbnail-workflow.js';
import { applicationFailureIn } from './failure-chain.js';
import { CandidateFailedError, generateWithRetries } from './provider-calls.js';

const recordOptions = { startToCloseTimeout: '1 minute', retry: { maximumAttempts: 5 } } as const;
const { saveThumbnailResult, loadPriorLedger } =
  proxyActivities<ReturnType<typeof createBatchRecordActivities>>(recordOptions);

const scoringOptions = { startToCloseTimeout: '5 minutes', retry: { maximumAttempts: 3 } } as const;
const { scoreCandidates } = proxyActivities<ReturnType<typeof createScoringActivities>>(scoringOptions);

/** The failure type of a workflow-side error, for the parent's fatal-failure check. */
function failureType(err: unknown): string {
  return applicationFailureIn(err)?.type ?? (err instanceof Error ? err.name : 'Error');
}

/**
 * One thumbnail brief: its candidates generated in parallel (distinct deterministic seeds),
 * scored together in one CLIP activity call, the best kept. Every billed call is booked in a
 * ledger held in workflow state and queryable with `cost` while it runs. Whatever happens after
 * the provider was paid (scoring fails, the batch is cancelled), the result keeps its ledger.
 */
export async function thumbnailWorkflow(input: ThumbnailWorkflowInput): Promise<ThumbnailWorkflowResult> {
  // A restarted batch continues the ledger of the run that failed, so calls that run paid for
  // (including billed-but-unusable ones) stay counted exactly once.
  const prior = patched('prior-ledger')
    ? await loadPriorLedger.executeWithOptions(
        { ...recordOptions, summary: `earlier ledger of ${input.thumbnailId}` },
        [{ batchId: input.batchId, thumbnailId: input.thumbnailId, phase: input.phase }]
      )
    : [];
  const ledger = new Ledger(prior);
  setHandler(thumbnailCostQuery, () => ({
    thumbnailId: input.thumbnailId,
    entries: ledger.list(),
    totals: ledger.totals,
  }));

  const failures: CandidateFailure[] = [];
  const candidates: ScoredCandidate[] = [];
  const result = (): ThumbnailWorkflowResult => ({
    batchId: input.batchId,
    thumbnailId: input.thumbnailId,
    phase: input.phase,
    status: candidates.length > 0 ? 'ok' : 'failed',
    candidates,
    failures: [...failures].sort((a, b) => a.candidateIndex - b.candidateIndex),
    ledger: ledger.list(),
    totals: ledger.totals,
  });
  const save = async (r: ThumbnailWorkflowResult): Promise<void> => {
    if (input.saveResult === false) return;
    await saveThumbnailResult.executeWithOptions(
      { ...recordOptions, summary: `keep the ${input.phase} result of ${input.thumbnailId}` },
      [r]
    );
  };

  try {
    await Promise.all(
      Array.from({ length: input.candidates }, async (_, candidateIndex) => {
        const seed = seedFor(input.batchId, input.thumbnailId, input.phase, candidateIndex);
        try {
          candidates.push(
            await generateWithRetries(
              {
                batchId: input.batchId,
                thumbnailId: input.thumbnailId,
                phase: input.phase,
                candidateIndex,
                params: { ...input.request, seed },
              },
              ledger,
              input.retry,
              `${input.thumbnailId} ${input.phase} ${candidateIndex + 1}/${input.candidates} on ${input.request.model}`
            )
          );
        } catch (err) {
          if (!(err instanceof CandidateFailedError)) throw err;
          failures.push({ candidateIndex, type: err.type, message: err.message, attempts: err.attempts });
        }
      })
    );
  } catch (err) {
    if (isCancellation(err)) {
      // Keep what was paid for, so a restarted batch books it; then stop as asked.
      const partial = { ...result(), status: 'failed' as const, reason: 'cancelled' };
      await CancellationScope.nonCancellable(() => save(partial));
    }
    throw err;
  }
  // Completion order varies; the candidate index does not.
  candidates.sort((a, b) => a.candidateIndex - b.candidateIndex);

  const r = result();
  if (candidates.length === 0) {
    const first = r.failures[0];
    r.reason = first ? `${first.type}: ${first.message}` : 'no candidates requested';
    if (first) r.failureType = first.type;
  } else if (input.score !== false) {
    const size = expectedImageSize(input.request.model, toRequestBody({ ...input.request, seed: 0 }));
    const what =
      candidates.length === 1 ? `the ${input.phase} candidate` : `${candidates.length} ${input.phase} candidates`;
    try {
      // CPU work goes to the scoring queue beside this workflow's own queue.
      const scored = await scoreCandidates.executeWithOptions(
        {
          ...scoringOptions,
          taskQueue: scoringTaskQueueFor(workflowInfo().taskQueue),
          summary: `score ${what} of ${input.thumbnailId}`,
        },
        [
          {
            prompt: input.request.prompt,
            images: candidates.map((c) => c.image),
            width: size.width,
            height: size.height,
          },
        ]
      );
      candidates.forEach((c, i) => {
        const detail = scored.scores[i];
        if (detail) {
          c.score = detail.score;
          c.scoreDetail = detail;
        }
      });
      r.scorer = scored.scorer;
      r.best = candidates.reduce(
        (best, c, i) => ((c.score ?? -Infinity) > (candidates[best]?.score ?? -Infinity) ? i : best),
        0
      );
    } catch (err) {
      if (isCancellation(err)) throw err;
      // The drafts were paid for: report the thumbnail as failed with its ledger intact.
      r.status = 'failed';
      r.failureType = failureType(err);
      const detail = err instanceof Error && err.cause instanceof Error ? err.cause : err;
      r.reason = `scoring failed: ${detail instanceof Error ? detail.message : String(detail)}`;
    }
  } else {
    r.best = 0;
  }
  try {
    await save(r);
  } catch (err) {
    if (isCancellation(err)) throw err;
    // The parent still books the ledger; only the output folder will lack this thumbnail's record.
    r.reason = `${r.reason ? `${r.reason}; ` : ''}result not stored: ${err instanceof Error ? err.message : String(err)}`;
  }
  return r;
}
