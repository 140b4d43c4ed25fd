import { proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createBatchRecordActivities } from '../activities/batch-records.js';
import type { createScoringActivities } from '../activities/scoring/index.js';
import type { GeneratedCandidate } from '../shared/generation.js';
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
import { CandidateFailedError, generateWithRetries } from './provider-calls.js';

const recordOptions = { startToCloseTimeout: '1 minute', retry: { maximumAttempts: 5 } } as const;
const { saveThumbnailResult } = proxyActivities<ReturnType<typeof createBatchRecordActivities>>(recordOptions);

const scoringOptions = { startToCloseTimeout: '5 minutes', retry: { maximumAttempts: 3 } } as const;
const { scoreCandidates } = proxyActivities<ReturnType<typeof createScoringActivities>>(scoringOptions);

/**
 * One thumbnail brief: its candidates generated in parallel (distinct deterministic seeds),
 * scored together in one CLIP activity call, the best kept. Every billed call is booked in a
 * ledger held in workflow state and queryable with `cost` while it runs.
 */
export async function thumbnailWorkflow(input: ThumbnailWorkflowInput): Promise<ThumbnailWorkflowResult> {
  const ledger = new Ledger();
  setHandler(thumbnailCostQuery, () => ({
    thumbnailId: input.thumbnailId,
    entries: ledger.list(),
    totals: ledger.totals,
  }));

  const failures: CandidateFailure[] = [];
  const settled = await Promise.all(
    Array.from({ length: input.candidates }, async (_, candidateIndex): Promise<GeneratedCandidate | undefined> => {
      const seed = seedFor(input.batchId, input.thumbnailId, input.phase, candidateIndex);
      try {
        return await generateWithRetries(
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
        );
      } catch (err) {
        if (!(err instanceof CandidateFailedError)) throw err;
        failures.push({ candidateIndex, type: err.type, message: err.message, attempts: err.attempts });
        return undefined;
      }
    })
  );
  failures.sort((a, b) => a.candidateIndex - b.candidateIndex);
  const candidates: ScoredCandidate[] = settled.filter((c): c is GeneratedCandidate => c !== undefined);

  const result: ThumbnailWorkflowResult = {
    batchId: input.batchId,
    thumbnailId: input.thumbnailId,
    phase: input.phase,
    status: candidates.length > 0 ? 'ok' : 'failed',
    candidates,
    failures,
    ledger: ledger.list(),
    totals: ledger.totals,
  };
  if (candidates.length === 0) {
    result.reason = failures[0] ? `${failures[0].type}: ${failures[0].message}` : 'no candidates requested';
  } else if (input.score !== false) {
    const size = expectedImageSize(input.request.model, toRequestBody({ ...input.request, seed: 0 }));
    // CPU work goes to the scoring queue beside this workflow's own queue.
    const scored = await scoreCandidates.executeWithOptions(
      {
        ...scoringOptions,
        taskQueue: scoringTaskQueueFor(workflowInfo().taskQueue),
        summary: `score ${candidates.length === 1 ? `the ${input.phase} candidate` : `${candidates.length} ${input.phase} candidates`} of ${input.thumbnailId}`,
      },
      [{ prompt: input.request.prompt, images: candidates.map((c) => c.image), width: size.width, height: size.height }]
    );
    candidates.forEach((c, i) => {
      const detail = scored.scores[i];
      if (detail) {
        c.score = detail.score;
        c.scoreDetail = detail;
      }
    });
    result.scorer = scored.scorer;
    result.best = candidates.reduce(
      (best, c, i) => ((c.score ?? -Infinity) > (candidates[best]?.score ?? -Infinity) ? i : best),
      0
    );
  } else {
    result.best = 0;
  }
  if (input.saveResult !== false) {
    await saveThumbnailResult.executeWithOptions(
      { ...recordOptions, summary: `keep the ${input.phase} result of ${input.thumbnailId}` },
      [result]
    );
  }
  return result;
}
