import { CancellationScope, isCancellation, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createBatchRecordActivities } from '../activities/batch-records.js';
import type { createScoringActivities } from '../activities/scoring/index.js';
import type { GeneratedCandidate } from '../shared/generation.js';
import { Purse } from '../shared/budget.js';
import { Ledger } from '../shared/ledger.js';
import { PRICE_CARD, expectedCostMicros } from '../shared/price-card.js';
import { seedFor } from '../shared/seeds.js';
import { scoringTaskQueueFor } from '../shared/task-queues.js';
import { MAX_REASON_CHARS, boundedMessage, failure } from '../shared/failures.js';
import {
  bestIndexOf,
  thumbnailCostQuery,
  thumbnailInputProblems,
  type CandidateFailure,
  type ThumbnailWorkflowInput,
  type ThumbnailWorkflowResult,
} from '../shared/thumbnail-workflow.js';
import { applicationFailureIn } from './failure-chain.js';
import { countSpend, countThumbnailCancelled, countThumbnailResult } from './metrics.js';
import { CandidateFailedError, generateWithRetries } from './provider-calls.js';

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
  const { batchId, manifestSha256, thumbnailId, phase } = input;
  const slot = { batchId, manifestSha256, thumbnailId, phase };
  // A restarted batch continues the ledger of the run that failed, so calls that run paid for
  // (including billed-but-unusable ones) stay counted exactly once.
  const prior = await loadPriorLedger.executeWithOptions({ summary: `earlier ledger of ${thumbnailId}` }, [slot]);
  // Each call's spend is counted once, when its amount is final (shared/ledger.ts).
  const ledger = new Ledger(prior, countSpend);
  setHandler(thumbnailCostQuery, () => ({ thumbnailId, entries: ledger.list(), totals: ledger.totals }));

  const generated: GeneratedCandidate[] = [];
  const failures: CandidateFailure[] = [];
  const record = () => ({ ...slot, failures, ledger: ledger.list(), totals: ledger.totals });
  const failed = (type: string, reason: string): ThumbnailWorkflowResult => ({
    ...record(),
    candidates: generated.map((c) => ({ ...c, score: Number.NaN })),
    ok: false,
    type,
    reason: boundedMessage(reason, MAX_REASON_CHARS),
  });
  const save = (result: ThumbnailWorkflowResult) =>
    saveThumbnailResult.executeWithOptions({ summary: `keep the ${phase} result of ${thumbnailId}` }, [result]);

  let result: ThumbnailWorkflowResult;
  try {
    result = await makeThumbnail(input, ledger, generated, failures, record, failed);
  } catch (err) {
    // Cancelled while generating, scoring or saving: keep what was paid for (the batch books it from
    // the store, and a restarted batch continues it), then stop as asked.
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() => save(failed('Cancelled', 'cancelled')));
      ledger.closeEstimates();
      countThumbnailCancelled(phase);
    }
    throw err;
  }
  try {
    // Not cancellable: a cancel arriving now must not lose the record of what was paid for.
    await CancellationScope.nonCancellable(() => save(result));
  } catch (err) {
    // The batch still books the ledger; without its record the thumbnail cannot be delivered.
    result = failed('ResultNotStored', `the ${phase} result could not be stored: ${messageOf(err)}`);
  }
  ledger.closeEstimates();
  countThumbnailResult(result);
  return result;
}

/** Generates the candidates, scores them and picks the best; failures end up in the result, not thrown. */
async function makeThumbnail(
  input: ThumbnailWorkflowInput,
  ledger: Ledger,
  generated: GeneratedCandidate[],
  failures: CandidateFailure[],
  record: () => Omit<ThumbnailWorkflowResult, 'ok' | 'candidates' | 'best' | 'type' | 'reason'>,
  failed: (type: string, reason: string) => ThumbnailWorkflowResult
): Promise<ThumbnailWorkflowResult> {
  const { batchId, thumbnailId, phase, request } = input;
  // The allowance covers this run's calls: what an earlier run of a restarted batch paid was already
  // committed then.
  const priorMicros = ledger.totals.costMicros;
  const budget = {
    purse: new Purse(input.allowanceMicros, () => ledger.totals.costMicros - priorMicros),
    perCallMicros: expectedCostMicros(request.model, PRICE_CARD[request.model].steps ? request.steps : undefined),
  };
  // allSettled, not all: on a cancel every candidate's call under way is answered (and booked) first.
  const settled = await Promise.allSettled(
    Array.from({ length: input.candidates }, async (_, candidateIndex) => {
      const seed = seedFor(batchId, thumbnailId, phase, candidateIndex);
      try {
        generated.push(
          await generateWithRetries(
            { batchId, thumbnailId, phase, candidateIndex, params: { ...request, seed } },
            ledger,
            budget,
            `${thumbnailId} ${phase} ${candidateIndex + 1}/${input.candidates} on ${request.model}`
          )
        );
      } catch (err) {
        if (!(err instanceof CandidateFailedError)) throw err;
        const message = boundedMessage(err.message, MAX_REASON_CHARS);
        failures.push({ candidateIndex, type: err.type, message, attempts: err.attempts });
      }
    })
  );
  const thrown = settled.find((s) => s.status === 'rejected');
  if (thrown) throw thrown.reason;
  // Completion order varies; the candidate index does not.
  generated.sort((a, b) => a.candidateIndex - b.candidateIndex);
  failures.sort((a, b) => a.candidateIndex - b.candidateIndex);

  const first = failures[0];
  if (generated.length === 0) {
    return failed(first?.type ?? 'Error', first ? `${first.type}: ${first.message}` : 'no candidates requested');
  }
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
    return { ...record(), candidates, scorer: scored.scorer, ok: true, best };
  } catch (err) {
    if (isCancellation(err)) throw err;
    // The drafts were paid for: the thumbnail fails with its ledger intact.
    return failed(applicationFailureIn(err)?.type ?? 'Error', `scoring failed: ${messageOf(err)}`);
  }
}
