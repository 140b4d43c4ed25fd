import type { WorkflowExecutionDescription } from '@temporalio/client';
import { progressQuery, type BatchProgress } from '../../shared/batch-workflow.js';
import { formatUsd } from '../../shared/money.js';
import { spendUsdKey, stageKey, thumbnailCountKey } from '../../shared/search-attributes.js';
import { providerTaskQueueFor, scoringTaskQueueFor } from '../../shared/task-queues.js';
import type { BatchHandle } from '../batch-client.js';
import { progressLine } from '../batch-client.js';
import { command, jsonFlag } from '../command-spec.js';
import { uiLink, withTemporal, type Connected } from '../connection.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { Output } from '../output.js';
import { findBatch } from './batch-handle.js';

export const statusCommand = command({
  name: 'status',
  args: ['BATCH_ID'],
  summary:
    "State and live progress; with no worker polling the batch's task queue, the stage and spend the workflow " +
    'last published and which queue needs a worker. Exit 0 while running or completed, 1 when it failed.',
  flags: jsonFlag,
  run: status,
});

/** How long the progress query may take: a worker answers in well under a second, or replays first. */
const QUERY_TIMEOUT_MS = 10_000;

// temporal.api.enums.v1: TASK_QUEUE_KIND_NORMAL, TASK_QUEUE_TYPE_WORKFLOW / _ACTIVITY.
const KIND_NORMAL = 1;
const TYPE_WORKFLOW = 1;
const TYPE_ACTIVITY = 2;

interface IdleQueue {
  taskQueue: string;
  /** What waits on it: `workflows` (and I/O activities), `provider` calls, or `scoring`. */
  serves: 'workflows' | 'provider' | 'scoring';
}

/**
 * The batch's task queues that no worker polls (asked of the server, so it needs no worker). Undefined
 * when the server would not say (an older server, or a key without the permission).
 */
async function idleQueues(temporal: Connected, taskQueue: string): Promise<IdleQueue[] | undefined> {
  const queues: [IdleQueue, number][] = [
    [{ taskQueue, serves: 'workflows' }, TYPE_WORKFLOW],
    [{ taskQueue: providerTaskQueueFor(taskQueue), serves: 'provider' }, TYPE_ACTIVITY],
    [{ taskQueue: scoringTaskQueueFor(taskQueue), serves: 'scoring' }, TYPE_ACTIVITY],
  ];
  try {
    const answers = await Promise.all(
      queues.map(([q, type]) =>
        temporal.client.workflowService.describeTaskQueue({
          namespace: temporal.namespace,
          taskQueue: { name: q.taskQueue, kind: KIND_NORMAL },
          taskQueueType: type,
        })
      )
    );
    return queues.filter((_, i) => (answers[i]!.pollers ?? []).length === 0).map(([q]) => q);
  } catch {
    return undefined;
  }
}

/** The progress query, bounded: without a worker it would wait for one indefinitely. */
async function queryProgress(handle: BatchHandle): Promise<{ progress?: BatchProgress; problem?: string }> {
  try {
    return {
      progress: await handle.client.connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () =>
        handle.query(progressQuery)
      ),
    };
  } catch (err) {
    return {
      problem: `the progress query was not answered within ${QUERY_TIMEOUT_MS / 1000} s (${(err as Error).message})`,
    };
  }
}

/** What the workflow publishes as search attributes: readable with no worker at all. */
function published(description: WorkflowExecutionDescription) {
  const sa = description.typedSearchAttributes;
  return { stage: sa.get(stageKey), spendUsd: sa.get(spendUsdKey), thumbnails: sa.get(thumbnailCountKey) };
}

function workerHint(idle: IdleQueue[], taskQueue: string): string[] {
  const what = { workflows: 'the batch itself', provider: 'provider calls', scoring: 'CLIP scoring' };
  return idle.map(
    (q) =>
      `no worker is polling task queue ${q.taskQueue} (${what[q.serves]}): start one with \`npm run worker\`` +
      ` (THUMBGATE_TASK_QUEUE=${taskQueue}${q.serves === 'workflows' ? '' : `, THUMBGATE_WORKER_ROLES including ${q.serves === 'scoring' ? 'scoring' : 'generation'}`})` +
      ' on the same Temporal namespace and THUMBGATE_STORE_DIR'
  );
}

/**
 * State and live progress. Live progress is a query a worker answers; when no worker polls the batch's
 * task queue (or the query goes unanswered) the stage and spend the workflow last published as search
 * attributes are shown instead, with which queue lacks a worker. Exit 0 for a running or completed
 * batch — with or without a worker — and 1 for a failed, cancelled or terminated one.
 */
async function status({ positionals }: { positionals: string[] }, out: Output): Promise<ExitCode> {
  return withTemporal(async (temporal) => {
    const { handle, description } = await findBatch(temporal, positionals[0]!);
    const state = description.status.name;
    const running = state === 'RUNNING';
    const idle = running ? await idleQueues(temporal, description.taskQueue) : [];
    const noWorkflowWorker = idle?.some((q) => q.serves === 'workflows') ?? false;
    const { progress, problem } = running && !noWorkflowWorker ? await queryProgress(handle) : {};
    const attrs = published(description);
    const link = uiLink(temporal.namespace, handle.workflowId);
    out.result(
      {
        batchId: handle.workflowId,
        status: state,
        taskQueue: description.taskQueue,
        ...attrs,
        progress,
        ...(running ? { workerPolling: idle === undefined ? null : !noWorkflowWorker, idleQueues: idle ?? null } : {}),
        ...(problem ? { problem } : {}),
        ui: link,
      },
      () =>
        [
          `batch ${handle.workflowId}: ${state.toLowerCase()}`,
          ...(progress
            ? [progressLine(progress)]
            : [
                `stage ${attrs.stage ?? 'unknown'}, spend ${attrs.spendUsd === undefined ? 'unknown' : formatUsd(Math.round(attrs.spendUsd * 1e6))}` +
                  (attrs.thumbnails === undefined ? '' : `, ${attrs.thumbnails} thumbnails`) +
                  (running ? ' (last published by the workflow; live progress needs a worker)' : ''),
              ]),
          ...(problem ? [problem] : []),
          ...workerHint(idle ?? [], description.taskQueue),
          link,
        ].join('\n')
    );
    return running || state === 'COMPLETED' || state === 'CONTINUED_AS_NEW' ? EXIT.ok : EXIT.batchFailed;
  });
}
