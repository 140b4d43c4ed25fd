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
import type { BlobStore } from '../common/blob-store.js';
import type { BatchOptions } from '../shared/batch-options.js';
import { MAX_BATCH_THUMBNAILS, progressQuery, type BatchProgress, type BatchResult } from '../shared/batch-workflow.js';
import { formatUsd } from '../shared/price-card.js';
import { spendUsdKey, stageKey, thumbnailCountKey } from '../shared/search-attributes.js';
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

/**
 * What a batch was started from, kept in its workflow memo: the sha256 of the stored manifest (the
 * validated briefs as JSON lines) and a hash of its options. A batch id that already names a batch is
 * only reused for the same manifest and options.
 */
export interface BatchIdentity {
  manifestSha256: string;
  optionsHash: string;
}

/** JSON with object keys sorted, so equal options always hash the same. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        )
      : v
  );
}

function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
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
  if (input.briefs.length > MAX_BATCH_THUMBNAILS) {
    throw new CliError(
      EXIT.invalidInput,
      `the manifest has ${input.briefs.length} briefs; a batch holds at most ${MAX_BATCH_THUMBNAILS} — split it into several batches`
    );
  }
  // Images and briefs travel by reference: the manifest is stored, the workflow gets its address.
  const manifestBytes = Buffer.from(input.briefs.map((b) => JSON.stringify(b)).join('\n') + '\n');
  const identity: BatchIdentity = {
    manifestSha256: sha256Hex(manifestBytes),
    optionsHash: sha256Hex(canonicalJson(input.options)),
  };
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
  const manifest = await input.store.put(manifestBytes, 'application/x-ndjson');
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
      },
    ],
    // Two schedulers racing on the same id both end up on one run; a completed batch never runs again.
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    memo: { ...identity },
    staticSummary: `thumbgate batch ${input.batchId}: ${input.briefs.length} thumbnails`,
    staticDetails: [
      `**${input.briefs.length} thumbnails** — ${o.candidates} drafts each on ${o.draftModel}` +
        `${o.draftModel === 'flux-schnell' || o.draftModel === 'flux-dev' ? ` at ${o.draftSteps} steps` : ''}`,
      `bottom ${o.rerollFraction * 100}% re-rolled on ${o.rerollModel}; up to ${o.maxInFlight} thumbnails in flight`,
    ].join('\n\n'),
    typedSearchAttributes: [
      { key: stageKey, value: 'drafting' },
      { key: thumbnailCountKey, value: input.briefs.length },
      { key: spendUsdKey, value: 0 },
    ],
  });
  return previous ? { handle, outcome: 'restarted', status: previous } : { handle, outcome: 'started' };
}

export function progressLine(p: BatchProgress): string {
  return (
    `${p.stage}: ${p.drafted}/${p.thumbnails} drafted, ${p.failed} failed, ` +
    `${p.rerolled}/${p.rerollTarget} re-rolled, ${p.inFlight} in flight, spend ${formatUsd(p.spendMicros)}`
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
