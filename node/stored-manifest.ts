/**
 * How a validated manifest is handed to a batch: stored as JSON lines of its briefs and passed by
 * reference, with the identity (manifest and options hashes) the batch keeps in its memo. The CLI's
 * `start` and a schedule's manifest activity both go through here, so the same briefs and options
 * always make the same blob and the same identity; the batch's activities read it back with
 * {@link readStoredManifest}.
 */
import { createHash } from 'node:crypto';
import type { BatchOptions } from '../shared/batch-options.js';
import type { BlobRef } from '../shared/blob-ref.js';
import { MAX_BATCH_THUMBNAILS } from '../shared/batch-workflow.js';
import { failure } from '../shared/failures.js';
import { SAFE_ID_RULE, isSafeId, type ThumbnailBrief } from '../shared/thumbnail-brief.js';
import { integerProblem } from '../shared/validation.js';
import { BlobNotFoundError, type BlobStore } from './blob-store.js';

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

/** The message for a manifest with more briefs than a batch holds, or undefined. */
export function tooManyBriefsProblem(count: number): string | undefined {
  return count > MAX_BATCH_THUMBNAILS
    ? `the manifest has ${count} briefs; a batch holds at most ${MAX_BATCH_THUMBNAILS} — split it into several batches`
    : undefined;
}

/** The stored form of a manifest: one validated brief per JSON line. */
export function manifestBytes(briefs: readonly ThumbnailBrief[]): Buffer {
  return Buffer.from(briefs.map((b) => JSON.stringify(b)).join('\n') + '\n');
}

export function batchIdentity(manifest: Uint8Array, options: BatchOptions): BatchIdentity {
  return { manifestSha256: sha256Hex(manifest), optionsHash: sha256Hex(canonicalJson(options)) };
}

/** Stores {@link manifestBytes}; the batch workflow reads it a page at a time by this reference. */
export function storeManifest(store: BlobStore, manifest: Uint8Array): Promise<BlobRef> {
  return store.put(manifest, 'application/x-ndjson');
}

/** Largest brief side a stored manifest may hold (the models top out at 2048; the output writer resizes to it). */
const MAX_SIDE = 8192;

function refuseUnsafeId(id: unknown): asserts id is string {
  if (!isSafeId(id))
    throw failure('InvalidManifest', `thumbnail id ${JSON.stringify(id)} is not a safe id (${SAFE_ID_RULE})`);
}

/**
 * The briefs of a stored manifest, in order. Written only after validation, but read back by reference
 * from a store, so the ids (they become file names and record keys) and sizes are checked again:
 * every line JSON, ids safe (`checkId`, run first on each line: the output writer refuses with its own
 * failure type) and unique, sides whole numbers within bounds. All refusals are non-retryable, and a
 * manifest missing from the store is `BlobNotFoundError` (the worker looks in another store than the
 * CLI wrote to: not a hiccup to wait out).
 */
export async function readStoredManifest(
  store: BlobStore,
  manifest: BlobRef,
  checkId: (id: unknown) => void = refuseUnsafeId
): Promise<ThumbnailBrief[]> {
  let bytes: Buffer;
  try {
    bytes = await store.get(manifest);
  } catch (err) {
    if (err instanceof BlobNotFoundError) throw failure('BlobNotFoundError', `the batch manifest: ${err.message}`);
    throw err;
  }
  const briefs: ThumbnailBrief[] = [];
  const seen = new Set<string>();
  bytes
    .toString('utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      let brief: ThumbnailBrief;
      try {
        brief = JSON.parse(line) as ThumbnailBrief;
      } catch (err) {
        throw failure('InvalidManifest', `manifest line ${i + 1} is not JSON: ${String(err)}`);
      }
      checkId((brief as Partial<ThumbnailBrief> | null)?.id);
      if (seen.has(brief.id))
        throw failure('InvalidManifest', `thumbnail id ${brief.id} appears twice in the manifest`);
      seen.add(brief.id);
      for (const side of ['width', 'height'] as const) {
        const problem = integerProblem(`brief ${brief.id} ${side}`, brief[side], { min: 1, max: MAX_SIDE });
        if (problem) throw failure('InvalidManifest', problem);
      }
      briefs.push(brief);
    });
  return briefs;
}
