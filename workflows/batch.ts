import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  continueAsNew,
  executeChild,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createBatchRecordActivities } from '../activities/batch-records.js';
import type { createGenerateActivities } from '../activities/generate-candidate.js';
import type { createOutputActivities } from '../activities/outputs/index.js';
import {
  costQuery,
  progressQuery,
  setBudgetUpdate,
  validateBatchInput,
  type BatchResult,
  type BatchWorkflowInput,
  type SetBudgetInput,
} from '../shared/batch-workflow.js';
import type { CompletionStatus, NotificationOutcome } from '../shared/notification.js';
import { requestForBrief } from '../shared/brief-request.js';
import type { Phase } from '../shared/generation.js';
import { microsToUsd } from '../shared/money.js';
import { spendUsdKey, stageKey, thumbnailCountKey } from '../shared/search-attributes.js';
import type { ThumbnailBrief } from '../shared/thumbnail-brief.js';
import { BatchState, type RunWork } from './batch-state.js';
import { batchCost, batchDetails, batchProgress, batchResult, completionSummary } from './batch-views.js';
import { applicationFailureIn } from './failure-chain.js';
import { notify } from './notify.js';
import { countRerollDecision } from './metrics.js';
import { thumbnailWorkflow } from './thumbnail.js';

// --- Activities ---

const { loadBriefs, loadThumbnailTotals } = proxyActivities<ReturnType<typeof createBatchRecordActivities>>({
  startToCloseTimeout: '1 minute',
  // Store reads are idempotent: a store hiccup of minutes must not fail a batch that is paying its way.
  scheduleToCloseTimeout: '30 minutes',
  retry: { maximumInterval: '30 seconds' },
});

const { providerBalance } = proxyActivities<ReturnType<typeof createGenerateActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3 },
});

/** The provider's balance, or undefined when it cannot say (the batch goes on without reconciling). */
async function balance(): Promise<number | undefined> {
  try {
    return await providerBalance.executeWithOptions({ summary: 'provider balance' }, []);
  } catch (err) {
    if (isCancellation(err)) throw err;
    return undefined;
  }
}

const { writeBatchOutputs } = proxyActivities<ReturnType<typeof createOutputActivities>>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  // Idempotent (atomic writes): retried through store outages, but bad input fails at once.
  scheduleToCloseTimeout: '2 hours',
  retry: { maximumInterval: '1 minute' },
});

/**
 * A cancelled batch books what its cancelled thumbnails paid for (each stored its record on the way
 * out) before it ends, so `thumbgate cost` of a cancelled batch is complete.
 */
async function bookCancelled(state: BatchState, inFlight: Set<Promise<void>>): Promise<void> {
  await CancellationScope.nonCancellable(async () => {
    await Promise.allSettled(inFlight);
    state.recordCancelled(await loadThumbnailTotals(state.cancelledChildren()));
  });
}

// --- Helpers ---

/** Briefs are read from the stored manifest a page at a time: a page is one bounded activity result. */
const BRIEF_PAGE = 200;

/**
 * Admits a thumbnail under the budget. A limit that thumbnails under way hold part of may fit once
 * they finish (they often cost less than reserved), so it waits for them before deciding. Returns the
 * thumbnail's allowance (`null`: no limit), or undefined when it must not start: over the batch limit
 * the batch stops; over its group's limit the brief is skipped.
 */
async function admit(
  state: BatchState,
  brief: ThumbnailBrief,
  phase: Phase,
  inFlight: Set<Promise<void>>,
  draftScore?: number
): Promise<number | null | undefined> {
  for (;;) {
    const admission = state.budget.admit(brief.id, phase, brief.metadata);
    if (admission.ok) return admission.allowanceMicros ?? null;
    if (admission.waitable && inFlight.size > 0) {
      await Promise.race(inFlight);
      continue;
    }
    if (admission.scope === 'batch') state.budget.stop(admission.reason);
    else state.skipForBudget(brief.id, phase, admission.reason, draftScore);
    return undefined;
  }
}

function workSize(work: RunWork): number {
  return work.phase === 'drafting' ? work.to - work.from : work.queue.length;
}

function loadPage(input: BatchWorkflowInput, work: RunWork, offset: number, limit: number): Promise<ThumbnailBrief[]> {
  if (work.phase === 'drafting') {
    const from = work.from + offset;
    return loadBriefs.executeWithOptions({ summary: `briefs ${from + 1}–${from + limit}` }, [
      { manifest: input.manifest, offset: from, limit },
    ]);
  }
  const ids = work.queue.slice(offset, offset + limit).map((q) => q.id);
  return loadBriefs.executeWithOptions({ summary: `briefs to re-roll ${offset + 1}–${offset + limit}` }, [
    { manifest: input.manifest, ids },
  ]);
}

/** One thumbnail as a child workflow; whatever it ends as is booked in `state`, in one place. */
async function runThumbnail(
  input: BatchWorkflowInput,
  state: BatchState,
  brief: ThumbnailBrief,
  phase: Phase,
  allowanceMicros: number | null,
  draftScore?: number
): Promise<void> {
  const { batchId, options } = input;
  const model = phase === 'draft' ? options.draftModel : options.rerollModel;
  const candidates = phase === 'draft' ? options.candidates : 1;
  try {
    const result = await executeChild(thumbnailWorkflow, {
      workflowId: `${batchId}/${phase}/${brief.id}`,
      staticSummary: `${brief.id}: ${phase === 'draft' ? `${candidates} drafts` : 're-roll'} on ${model}`,
      args: [
        {
          batchId,
          manifestSha256: input.manifest.sha256,
          thumbnailId: brief.id,
          phase,
          request: requestForBrief(brief, model, phase === 'draft' ? options.draftSteps : undefined),
          candidates,
        },
      ],
    });
    const decision = state.record(result, draftScore);
    if (decision) countRerollDecision(decision.winner === 'reroll');
  } catch (err) {
    if (isCancellation(err)) state.childCancelled(brief.id, phase);
    if (isCancellation(err) || !(err instanceof ChildWorkflowFailure)) throw err;
    const cause = applicationFailureIn(err);
    state.childFailed(brief.id, phase, cause?.type ?? undefined, cause?.message ?? err.cause?.message ?? err.message);
  }
}

/**
 * Runs this run's share of the phase with a bounded window of children, a page of briefs at a time.
 * A stop starts nothing new but lets what is in flight finish (its spend is booked).
 */
async function runWindow(
  input: BatchWorkflowInput,
  state: BatchState,
  work: RunWork,
  inFlight: Set<Promise<void>>,
  finished: () => void
): Promise<void> {
  const size = workSize(work);
  let page: ThumbnailBrief[] = [];
  let pageStart = 0;
  for (let i = 0; i < size && !state.stopped && !state.budget.stopReason; i++) {
    if (i >= pageStart + page.length) {
      pageStart = i;
      page = await loadPage(input, work, i, Math.min(BRIEF_PAGE, size - i));
    }
    const brief = page[i - pageStart];
    if (!brief) throw new Error(`the manifest has no brief at position ${i} of this run's work`);
    const phase = work.phase === 'drafting' ? 'draft' : 'reroll';
    const draftScore = work.phase === 'rerolling' ? work.queue[i]?.score : undefined;
    const allowance = await admit(state, brief, phase, inFlight, draftScore);
    if (allowance === undefined) {
      finished();
      continue;
    }
    const running: Promise<void> = (
      work.phase === 'drafting'
        ? runThumbnail(input, state, brief, 'draft', allowance)
        : runThumbnail(input, state, brief, 'reroll', allowance, draftScore)
    )
      .then(finished)
      .finally(() => inFlight.delete(running));
    inFlight.add(running);
    if (inFlight.size >= input.options.maxInFlight) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}

// --- Workflows ---

/**
 * One batch of thumbnail briefs: drafts per brief on the draft model (child workflows, at most
 * `maxInFlight` at once), then the bottom tenth by best score re-rolled on the re-roll model, the
 * better of draft and re-roll kept, outputs written. `BatchState` holds the state and the rules; this
 * function is the recipe. Continues as new every `thumbnailsPerRun` thumbnails with compact carried
 * state, so history stays bounded for batches of any size.
 */
export async function batchWorkflow(input: BatchWorkflowInput): Promise<BatchResult> {
  validateBatchInput(input, workflowInfo().parent?.workflowId, workflowInfo().continuedFromExecutionRunId);
  const state = new BatchState(input);
  const inFlight = new Set<Promise<void>>();
  setHandler(progressQuery, () => batchProgress(state.view(), inFlight.size));
  setHandler(costQuery, () => batchCost(state.view()));
  const describe = (): void => setCurrentDetails(batchDetails(state.view(), inFlight.size));
  const publish = (): void => {
    const p = batchProgress(state.view(), inFlight.size);
    upsertSearchAttributes([
      { key: spendUsdKey, value: microsToUsd(p.spendMicros) },
      { key: stageKey, value: p.stage },
      { key: thumbnailCountKey, value: p.thumbnails },
    ]);
    describe();
  };
  setHandler(
    setBudgetUpdate,
    ({ maxMicros }) => {
      const answer = state.budget.setLimit(maxMicros);
      describe();
      return answer;
    },
    {
      // Refused before it is written to history: a lower limit than what is committed cannot be kept.
      // Any client can send it: the payload is checked, not trusted to match the type.
      validator: (update: SetBudgetInput | undefined) => {
        const problem = state.budget.budgetUpdateProblem((update as Partial<SetBudgetInput> | undefined)?.maxMicros);
        if (problem) throw new Error(problem);
      },
    }
  );
  /** The completion callback, when the batch has a URL; its outcome never changes the batch's. */
  const notifyEnd = async (
    status: CompletionStatus,
    outputDir?: string,
    reason?: string
  ): Promise<NotificationOutcome | undefined> => {
    if (!input.notifyUrl) return undefined;
    const outcome = await notify(
      input.notifyUrl,
      completionSummary(state.view(), status, new Date(), outputDir, reason)
    );
    state.noteNotification(outcome);
    describe();
    return outcome;
  };
  publish();

  try {
    if (state.needsStartBalance) state.noteStartBalance(await balance());
    for (;;) {
      const work = state.work();
      await runWindow(input, state, work, inFlight, () => (state.publishDue ? publish() : describe()));
      if (state.stopped) {
        publish();
        // Stopped while drafting: nothing is complete enough to deliver. While re-rolling: every draft is.
        if (work.phase === 'drafting') throw state.stopped;
        break;
      }
      // Over the limit: no re-rolls; what was drafted is delivered.
      if (state.budget.stopReason) break;
      if (state.completeWork(work)) {
        publish();
        return await continueAsNew<typeof batchWorkflow>(state.nextRun());
      }
      if (work.phase === 'rerolling') break;
      // Drafting is done and the bottom tenth chosen: the UI and `thumbgate list` show re-rolling now.
      publish();
    }

    state.reconcile(await balance());
    state.setStage('writing-outputs');
    publish();
    const { outputDir } = await writeBatchOutputs.executeWithOptions({ summary: `outputs of ${input.batchId}` }, [
      {
        batchId: input.batchId,
        manifest: input.manifest,
        rerolls: state.rerollDecisions,
        cost: batchCost(state.view()),
        workflowId: workflowInfo().workflowId,
        ...(state.budget.stopReason ? { notStartedReason: `not started: ${state.budget.stopReason}` } : {}),
      },
    ]);
    if (state.stopped) throw state.stopped;
    const status = state.budget.stopReason ? 'budget-stopped' : 'done';
    state.setStage(status);
    publish();
    const notification = await notifyEnd(status, outputDir);
    return batchResult(state.view(), outputDir, notification);
  } catch (err) {
    if (isCancellation(err)) {
      await bookCancelled(state, inFlight);
      state.setStage('cancelled');
      publish();
      await notifyEnd('cancelled', undefined, 'cancelled');
      throw err;
    }
    const failure = err instanceof ApplicationFailure ? err : undefined;
    // Only a failure ends the workflow (anything else retries the workflow task): notify then, once.
    if (!failure) throw err;
    const notification = await notifyEnd('failed', undefined, failure.message);
    throw notification ? withNotification(failure, notification) : failure;
  }
}

/** The failure the batch ends with, carrying the callback's delivery in its details. */
function withNotification(failure: ApplicationFailure, notification: NotificationOutcome): ApplicationFailure {
  return ApplicationFailure.create({
    message: failure.message,
    type: failure.type ?? undefined,
    nonRetryable: true,
    details: [...(failure.details ?? []), { notification }],
  });
}
