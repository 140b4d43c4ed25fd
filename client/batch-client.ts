import { createHash } from 'node:crypto';
import { basename, extname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionStatusName,
  type WorkflowHandle,
} from '@temporalio/client';
import type { BlobStore } from '../node/blob-store.js';
import {
  batchIdentity,
  manifestBytes,
  storeManifest,
  tooManyBriefsProblem,
  type BatchIdentity,
} from '../node/stored-manifest.js';
import type { BatchBudget } from '../shared/budget.js';
import type { BatchOptions } from '../shared/batch-options.js';
import { batchStartLabels } from '../shared/batch-labels.js';
import { progressQuery, type BatchProgress, type BatchResult } from '../shared/batch-workflow.js';
import { formatUsd } from '../shared/money.js';
import { GENERATION_TASK_QUEUE } from '../shared/task-queues.js';
import { isSafeId, SAFE_ID_RULE, type ThumbnailBrief } from '../shared/thumbnail-brief.js';
import type { batchWorkflow } from '../workflows/batch.js';
import { CliError, EXIT } from './exit-codes.js';
import { describeFailure } from './failure-cause.js';
import { forTerminal } from './terminal-text.js';

export type BatchHandle = WorkflowHandle<typeof batchWorkflow>;

/**
 * Default batch id: manifest name plus a hash of its validated content, so a scheduler that
 * fires twice with the same manifest lands on the same batch instead of paying twice.
 */
export function defaultBatchId(manifestPath: string, briefs: ThumbnailBrief[], options: BatchOptions): string {
  const stem = basename(manifestPath, extname(manifestPath))
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 60);
  const hash = createHash('sha256').update(JSON.stringify({ briefs, options })).digest('hex').slice(0, 10);
  return `${stem || 'batch'}-${hash}`;
}

export interface StartBatchInput {
  client: Client;
  store: BlobStore;
  batchId: string;
  briefs: ThumbnailBrief[];
  options: BatchOptions;
  taskQueue?: string;
  thumbnailsPerRun?: number;
  /** Spending limits; not part of the batch's identity. */
  budget?: BatchBudget;
  notifyUrl?: string;
}

export interface StartedBatch {
  handle: BatchHandle;
  /**
   * `started` for a new batch; `attached` to the run already going; `finished` when it had already
   * completed (nothing is started); `restarted` when an earlier run failed or was cancelled — the new
   * run reuses every draft that run paid for.
   */
  outcome: 'started' | 'attached' | 'finished' | 'restarted';
  /** Status of the earlier run, for `attached`, `finished` and `restarted`. */
  status?: WorkflowExecutionStatusName;
}

/** Throws CliError(invalidInput) unless the batch id is usable as a workflow id and a folder name. */
export function assertValidBatchId(batchId: string): void {
  if (!isSafeId(batchId)) {
    throw new CliError(EXIT.invalidInput, `--batch-id ${JSON.stringify(batchId)} is not valid: ${SAFE_ID_RULE}`);
  }
}

function identityFromMemo(memo: Record<string, unknown> | undefined): Partial<BatchIdentity> {
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  return { manifestSha256: str(memo?.manifestSha256), optionsHash: str(memo?.optionsHash) };
}

/**
 * Throws CliError(invalidInput) when the batch behind `batchId` was started from another manifest or
 * other options. A batch started before the memo existed carries no identity and is not checked.
 */
function assertSameBatch(batchId: string, memo: Record<string, unknown> | undefined, ours: BatchIdentity): void {
  const theirs = identityFromMemo(memo);
  const differs =
    (theirs.manifestSha256 !== undefined && theirs.manifestSha256 !== ours.manifestSha256) ||
    (theirs.optionsHash !== undefined && theirs.optionsHash !== ours.optionsHash);
  if (differs) {
    throw new CliError(
      EXIT.invalidInput,
      `batch id ${batchId} already names a batch started from another manifest (or other options); ` +
        'choose another --batch-id'
    );
  }
}

/**
 * Starts a batch, attaches to the running batch with the same id, or restarts one that failed — but
 * only if that batch was started from the same manifest and options (exit code 2 otherwise).
 */
export async function startBatch(input: StartBatchInput): Promise<StartedBatch> {
  assertValidBatchId(input.batchId);
  const tooMany = tooManyBriefsProblem(input.briefs.length);
  if (tooMany) throw new CliError(EXIT.invalidInput, tooMany);
  // Images and briefs travel by reference: the manifest is stored, the workflow gets its address.
  const bytes = manifestBytes(input.briefs);
  const identity = batchIdentity(bytes, input.options);
  const existing = input.client.workflow.getHandle<typeof batchWorkflow>(input.batchId);
  let previous: WorkflowExecutionStatusName | undefined;
  try {
    const description = await existing.describe();
    previous = description.status.name;
    assertSameBatch(input.batchId, description.memo, identity);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  if (previous === 'RUNNING' || previous === 'COMPLETED') {
    return { handle: existing, outcome: previous === 'RUNNING' ? 'attached' : 'finished', status: previous };
  }
  const manifest = await storeManifest(input.store, bytes);
  const o = input.options;
  const handle = await input.client.workflow.start<typeof batchWorkflow>('batchWorkflow', {
    workflowId: input.batchId,
    taskQueue: input.taskQueue ?? GENERATION_TASK_QUEUE,
    args: [
      {
        batchId: input.batchId,
        manifest,
        thumbnails: input.briefs.length,
        options: o,
        ...(input.thumbnailsPerRun ? { thumbnailsPerRun: input.thumbnailsPerRun } : {}),
        ...(input.budget ? { budget: input.budget } : {}),
        ...(input.notifyUrl ? { notifyUrl: input.notifyUrl } : {}),
      },
    ],
    // Two schedulers racing on the same id both end up on one run; a completed batch never runs again.
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    memo: { ...identity },
    ...batchStartLabels(input.batchId, input.briefs.length, o, input.budget),
  });
  return previous ? { handle, outcome: 'restarted', status: previous } : { handle, outcome: 'started' };
}

export function progressLine(p: BatchProgress): string {
  return (
    `${p.stage}: ${p.drafted}/${p.thumbnails} drafted, ${p.failed} failed, ` +
    `${p.rerolled}/${p.rerollTarget} re-rolled, ${p.inFlight} in flight, spend ${formatUsd(p.spendMicros)}` +
    (p.budgetMicros !== undefined ? ` of ${formatUsd(p.budgetMicros, 2)}` : '')
  );
}

function progressBar(p: BatchProgress, width = 28): string {
  const done = p.stage === 'drafting' ? p.drafted + p.failed : p.thumbnails;
  const total = p.thumbnails + p.rerollTarget;
  const fraction = total === 0 ? 1 : Math.min(1, (done + p.rerolled) / total);
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(fraction * 100)}%`;
}

/**
 * Waits for a batch to end, showing progress: a redrawn bar on a TTY, a plain line whenever
 * progress changes otherwise. Returns the result, or throws CliError(batchFailed) naming the root cause
 * of the failure and its fix.
 */
export async function waitForBatch(
  handle: BatchHandle,
  out: NodeJS.WriteStream | null = process.stderr,
  pollMs = 1_000
): Promise<BatchResult> {
  const tty = Boolean(out?.isTTY);
  let last = '';
  const resultPromise = handle.result();
  let settled = false;
  resultPromise.then(
    () => (settled = true),
    () => (settled = true)
  );
  while (!settled) {
    try {
      const p = await handle.query(progressQuery);
      const line = forTerminal(progressLine(p));
      if (out && tty) out.write(`\r\x1b[2K${progressBar(p)} ${line}`);
      else if (out && line !== last) out.write(`${line}\n`);
      last = line;
    } catch {
      // between runs (continue-as-new) or before the first task: try again next tick
    }
    await Promise.race([sleep(pollMs), resultPromise.catch(() => undefined)]);
  }
  if (out && tty) out.write('\n');
  try {
    return await resultPromise;
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      // The innermost cause with its fix, not the wrapper's "Activity task failed".
      throw new CliError(EXIT.batchFailed, `batch ${handle.workflowId} failed: ${describeFailure(err)}`);
    }
    throw err;
  }
}
