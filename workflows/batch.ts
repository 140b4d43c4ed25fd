import {
  ApplicationFailure,
  ChildWorkflowFailure,
  continueAsNew,
  executeChild,
  isCancellation,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createBatchRecordActivities } from '../activities/batch-records.js';
import type { createOutputActivities } from '../activities/outputs/index.js';
import { byScoreThenId, rerollCount, validateBatchOptions } from '../shared/batch-options.js';
import {
  costQuery,
  progressQuery,
  type BatchCarry,
  type BatchCost,
  type BatchProgress,
  type BatchResult,
  type BatchStage,
  type BatchWorkflowInput,
  MAX_BATCH_THUMBNAILS,
  type ScoredThumbnail,
} from '../shared/batch-workflow.js';
import { requestForBrief } from '../shared/brief-request.js';
import { emptyTotals, mergeTotals } from '../shared/ledger.js';
import { BATCH_FATAL_FAILURES, FATAL_FAILURE_FIX } from '../shared/fatal-failures.js';
import { gatePerThumbnailMicros, rerollCostMicros } from '../shared/gate-cost.js';
import { formatUsd, microsToUsd } from '../shared/price-card.js';
import { bestScoreOf, decideReroll } from '../shared/reroll-decision.js';
import { spendUsdKey, stageKey, thumbnailCountKey } from '../shared/search-attributes.js';
import { isSafeId, type ThumbnailBrief } from '../shared/thumbnail-brief.js';
import type { ThumbnailWorkflowResult } from '../shared/thumbnail-workflow.js';
import { applicationFailureIn } from './failure-chain.js';
import { thumbnailWorkflow } from './thumbnail.js';

// --- Activities ---

const briefOptions = { startToCloseTimeout: '1 minute', retry: { maximumAttempts: 5 } } as const;
const { loadBriefs } = proxyActivities<ReturnType<typeof createBatchRecordActivities>>(briefOptions);

const { writeBatchOutputs } = proxyActivities<ReturnType<typeof createOutputActivities>>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

// --- Helpers ---

const BRIEF_PAGE = 200;
const DEFAULT_THUMBNAILS_PER_RUN = 400;
const FAILED_LISTED_MAX = 500;
const DECISIONS_LISTED_MAX = 500;
const RECENT_MAX = 200;
/**
 * Spend and stage go to the search attributes at every stage change and every ~5% of the batch
 * (at most every 25 thumbnails): each upsert is a history event, so not after every thumbnail.
 */
function upsertEvery(thumbnails: number): number {
  return Math.max(1, Math.min(25, Math.ceil(thumbnails / 20)));
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function invalidInput(field: string, message: string): never {
  throw ApplicationFailure.nonRetryable(`${field}: ${message}`, 'InvalidBatchInput');
}

function validateInput(input: BatchWorkflowInput): void {
  if (!isSafeId(input.batchId)) {
    invalidInput(
      'batchId',
      `must be a safe name (letters, digits, ".", "_", "-"), got ${JSON.stringify(input.batchId)}`
    );
  }
  if (!Number.isInteger(input.thumbnails) || input.thumbnails < 1 || input.thumbnails > MAX_BATCH_THUMBNAILS) {
    invalidInput(
      'thumbnails',
      `must be an integer from 1 to ${MAX_BATCH_THUMBNAILS} (split larger manifests), got ${JSON.stringify(input.thumbnails)}`
    );
  }
  const problems = validateBatchOptions(input.options);
  if (problems.length > 0) {
    throw ApplicationFailure.nonRetryable(
      `invalid batch options: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
      'InvalidBatchOptions'
    );
  }
  const perRun = input.thumbnailsPerRun;
  if (perRun !== undefined && (!Number.isInteger(perRun) || perRun < 1)) {
    invalidInput('thumbnailsPerRun', `must be a positive integer, got ${JSON.stringify(perRun)}`);
  }
}

function initialCarry(): BatchCarry {
  return {
    stage: 'drafting',
    next: 0,
    drafted: 0,
    bottom: [],
    rerollQueue: [],
    rerolls: [],
    rerolled: 0,
    rerollWins: 0,
    failed: [],
    failedUnlisted: 0,
    totals: emptyTotals(),
    runs: 1,
  };
}

/** Keeps the `limit` lowest-scoring thumbnails seen so far (a bounded list, so it can be carried). */
function keepLowest(list: ScoredThumbnail[], item: ScoredThumbnail, limit: number): void {
  if (limit <= 0) return;
  list.push(item);
  list.sort(byScoreThenId);
  if (list.length > limit) list.length = limit;
}

/** The failure that stops a batch (see shared/fatal-failures.ts), or undefined for any other type. */
function fatalFailure(type: string | null | undefined, message: string): ApplicationFailure | undefined {
  if (!type || !BATCH_FATAL_FAILURES.has(type)) return undefined;
  return ApplicationFailure.nonRetryable(
    `batch stopped: ${message} — ${FATAL_FAILURE_FIX[type] ?? 'fix the cause'}, then start the batch again ` +
      'with the same id: drafts already paid for are reused',
    type
  );
}

/**
 * Runs `start` for items [from, to) with at most `limit` in flight. Once `stop()` says so no new
 * item starts, but those in flight finish: their spend is booked, nothing is cut off mid-call.
 */
async function slidingWindow(
  from: number,
  to: number,
  limit: number,
  fetchPage: (offset: number, count: number) => Promise<ThumbnailBrief[]>,
  start: (brief: ThumbnailBrief) => Promise<void>,
  inFlight: Set<Promise<void>>,
  stop: () => boolean
): Promise<void> {
  let page: ThumbnailBrief[] = [];
  let pageStart = from;
  for (let i = from; i < to && !stop(); i++) {
    if (i >= pageStart + page.length) {
      pageStart = i;
      page = await fetchPage(i, Math.min(BRIEF_PAGE, to - i));
    }
    const brief = page[i - pageStart];
    if (!brief) throw ApplicationFailure.nonRetryable(`manifest has no brief at position ${i}`, 'InvalidBatchInput');
    const p: Promise<void> = start(brief).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= limit) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}

// --- Workflows ---

/**
 * One batch of thumbnail briefs: four drafts per brief on the draft model (child workflows,
 * at most `maxInFlight` at once), then the bottom `ceil(fraction × n)` by best score re-rolled on
 * the re-roll model, the better of draft and re-roll kept, outputs written. Spend is booked per
 * billed call in the children and summed here; `progress` and `cost` answer while it runs.
 * Continues as new every `thumbnailsPerRun` thumbnails with compact carried state, so history
 * stays bounded for batches of any size.
 */
export async function batchWorkflow(input: BatchWorkflowInput): Promise<BatchResult> {
  validateInput(input);
  const { batchId, options } = input;
  const carry = input.carry ?? initialCarry();
  const perRun = input.thumbnailsPerRun ?? DEFAULT_THUMBNAILS_PER_RUN;
  const rerollLimit = rerollCount(input.thumbnails, options.rerollFraction);
  const inFlight = new Set<Promise<void>>();
  const recent: BatchCost['recentThumbnails'] = [];
  let stage: BatchStage = carry.stage;
  let finishedThisRun = 0;
  let fatal: ApplicationFailure | undefined;
  // Batches started before the cadence followed batch size upserted every 25 thumbnails; replaying
  // their histories must issue the same commands.
  const publishEvery = patched('publish-cadence-by-batch-size') ? upsertEvery(input.thumbnails) : 25;

  const failedCount = (): number => carry.failed.length + carry.failedUnlisted;

  const cost = (): BatchCost => {
    const usable = carry.drafted;
    const n = input.thumbnails;
    const seedPerThumbnail = gatePerThumbnailMicros(options);
    const allReroll = rerollCostMicros(options.rerollModel);
    return {
      batchId,
      totals: carry.totals,
      usableThumbnails: usable,
      costPerUsableMicros: usable > 0 ? Math.round(carry.totals.costMicros / usable) : 0,
      counterfactuals: [
        {
          label: `seed expectation (${options.candidates} × ${options.draftModel} + ${options.rerollFraction * 100}% × ${options.rerollModel})`,
          totalMicros: seedPerThumbnail * n,
          perThumbnailMicros: seedPerThumbnail,
        },
        { label: `everything on ${options.rerollModel}`, totalMicros: allReroll * n, perThumbnailMicros: allReroll },
      ],
      recentThumbnails: recent,
    };
  };

  const progress = (): BatchProgress => ({
    batchId,
    stage,
    thumbnails: input.thumbnails,
    drafted: carry.drafted,
    failed: failedCount(),
    rerollTarget: carry.stage === 'rerolling' ? carry.rerollQueue.length : rerollLimit,
    rerolled: carry.rerolled,
    inFlight: inFlight.size,
    spendMicros: carry.totals.costMicros,
    run: carry.runs,
  });

  setHandler(progressQuery, progress);
  setHandler(costQuery, cost);

  // Current details cost no history events, so they follow every finished thumbnail.
  const describe = (): void => {
    const p = progress();
    setCurrentDetails(
      [
        `**${stage}** — ${p.drafted}/${p.thumbnails} drafted, ${p.failed} failed, ` +
          `${p.rerolled}/${p.rerollTarget} re-rolled`,
        `spend ${formatUsd(p.spendMicros)} (run ${p.run})`,
      ].join('\n\n')
    );
  };
  const publish = (): void => {
    upsertSearchAttributes([
      { key: spendUsdKey, value: microsToUsd(carry.totals.costMicros) },
      { key: stageKey, value: stage },
      { key: thumbnailCountKey, value: input.thumbnails },
    ]);
    describe();
  };
  const setStage = (next: BatchStage): void => {
    stage = next;
    publish();
  };

  const recordFailure = (id: string, phase: 'draft' | 'reroll', reason: string): void => {
    if (carry.failed.length < FAILED_LISTED_MAX) carry.failed.push({ id, phase, reason });
    else carry.failedUnlisted += 1;
  };

  // A rejected key, an empty balance or a missing model would fail every later thumbnail too: start
  // no more, let those in flight finish (their spend is booked), then stop.
  const noteFatal = (type: string | null | undefined, message: string): void => {
    const failure = fatal ? undefined : fatalFailure(type, message);
    if (!failure) return;
    fatal = failure;
    setStage('failed');
  };

  const finished = (result: ThumbnailWorkflowResult): void => {
    mergeTotals(carry.totals, result.totals);
    noteFatal(result.failureType, `${result.thumbnailId}: ${result.reason ?? ''}`);
    for (const f of result.failures) noteFatal(f.type, `${result.thumbnailId}: ${f.message}`);
    recent.push({
      id: result.thumbnailId,
      phase: result.phase,
      calls: result.totals.calls,
      costMicros: result.totals.costMicros,
    });
    if (recent.length > RECENT_MAX) recent.shift();
    finishedThisRun += 1;
    if (finishedThisRun % publishEvery === 0) publish();
    else describe();
  };

  const runChild = async (
    brief: ThumbnailBrief,
    phase: 'draft' | 'reroll'
  ): Promise<ThumbnailWorkflowResult | string> => {
    const draft = phase === 'draft';
    const model = draft ? options.draftModel : options.rerollModel;
    const candidates = draft ? options.candidates : 1;
    try {
      return await executeChild(thumbnailWorkflow, {
        workflowId: `${batchId}/${phase}/${brief.id}`,
        staticSummary: `${brief.id}: ${draft ? plural(candidates, 'draft', 'drafts') : 're-roll'} on ${model}`,
        args: [
          {
            batchId,
            thumbnailId: brief.id,
            phase,
            request: requestForBrief(brief, model, draft ? options.draftSteps : undefined),
            candidates,
            ...(input.retry ? { retry: input.retry } : {}),
          },
        ],
      });
    } catch (err) {
      if (isCancellation(err)) throw err;
      if (!(err instanceof ChildWorkflowFailure)) throw err;
      const failure = applicationFailureIn(err);
      noteFatal(failure?.type, `${brief.id}: ${failure?.message ?? err.message}`);
      return failure?.message ?? err.cause?.message ?? err.message;
    }
  };

  const draftOne = async (brief: ThumbnailBrief): Promise<void> => {
    const result = await runChild(brief, 'draft');
    if (typeof result === 'string') return recordFailure(brief.id, 'draft', result);
    finished(result);
    const score = bestScoreOf(result);
    if (score === undefined) {
      return recordFailure(brief.id, 'draft', result.reason ?? 'no candidate could be generated');
    }
    carry.drafted += 1;
    keepLowest(carry.bottom, { id: brief.id, score }, rerollLimit);
  };

  // A failed re-roll leaves the draft as the thumbnail; it is in the decision, not a failed thumbnail.
  const rerollOne = async (brief: ThumbnailBrief, draftScore: number): Promise<void> => {
    const result = await runChild(brief, 'reroll');
    if (typeof result !== 'string') finished(result);
    const decision = decideReroll(brief.id, draftScore, result);
    if (decision.rerollScore !== undefined) carry.rerolled += 1;
    if (decision.winner === 'reroll') carry.rerollWins += 1;
    // The output writer re-derives unlisted decisions from the stored results with the same rule.
    if (carry.rerolls.length < DECISIONS_LISTED_MAX) carry.rerolls.push(decision);
  };

  const nextRun = async (): Promise<never> => {
    publish();
    return continueAsNew<typeof batchWorkflow>({ ...input, carry: { ...carry, runs: carry.runs + 1 } });
  };

  publish();

  if (carry.stage === 'drafting') {
    const to = Math.min(input.thumbnails, carry.next + perRun);
    await slidingWindow(
      carry.next,
      to,
      options.maxInFlight,
      (offset, limit) =>
        loadBriefs.executeWithOptions({ ...briefOptions, summary: `briefs ${offset + 1}–${offset + limit}` }, [
          { manifest: input.manifest, offset, limit },
        ]),
      draftOne,
      inFlight,
      () => fatal !== undefined
    );
    if (fatal) throw fatal;
    carry.next = to;
    if (to < input.thumbnails) return nextRun();
    // The bottom tenth of the thumbnails that have a best draft.
    carry.rerollQueue = carry.bottom.slice(0, rerollCount(carry.drafted, options.rerollFraction));
    carry.bottom = [];
    carry.stage = 'rerolling';
    carry.next = 0;
    setStage('rerolling');
  }

  if (carry.stage === 'rerolling') {
    const to = Math.min(carry.rerollQueue.length, carry.next + perRun);
    const queue = carry.rerollQueue.slice(carry.next, to);
    const scores = new Map(queue.map((q) => [q.id, q.score]));
    await slidingWindow(
      0,
      queue.length,
      options.maxInFlight,
      (offset, limit) =>
        loadBriefs.executeWithOptions(
          { ...briefOptions, summary: `briefs to re-roll ${offset + 1}–${offset + limit}` },
          [{ manifest: input.manifest, ids: queue.slice(offset, offset + limit).map((q) => q.id) }]
        ),
      (brief) => rerollOne(brief, scores.get(brief.id) ?? 0),
      inFlight,
      () => fatal !== undefined
    );
    carry.next = to;
    // Every draft is done: a stop during re-rolls still delivers the drafts, then fails the batch.
    if (!fatal && to < carry.rerollQueue.length) return nextRun();
  }

  let outputDir: string | undefined;
  if (input.writeOutputs !== false) {
    if (!fatal) setStage('writing-outputs');
    outputDir = (
      await writeBatchOutputs.executeWithOptions(
        { startToCloseTimeout: '30 minutes', heartbeatTimeout: '1 minute', summary: `outputs of ${batchId}` },
        [
          {
            batchId,
            manifest: input.manifest,
            rerolls: carry.rerolls,
            cost: cost(),
            workflowId: workflowInfo().workflowId,
          },
        ]
      )
    ).outputDir;
  }
  if (fatal) throw fatal;
  setStage('done');
  return {
    batchId,
    thumbnails: input.thumbnails,
    succeeded: carry.drafted,
    failed: carry.failed,
    failedUnlisted: carry.failedUnlisted,
    rerolled: carry.rerolled,
    rerollWins: carry.rerollWins,
    rerolls: carry.rerolls,
    cost: cost(),
    ...(outputDir ? { outputDir } : {}),
    runs: carry.runs,
  };
}
