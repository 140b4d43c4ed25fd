/**
 * A schedule's manifest, read when the schedule fires: the same reading and validation as
 * `thumbgate start` (node/manifest/), then stored the same way (node/stored-manifest.ts), so a
 * scheduled batch is indistinguishable from one started by hand with that file. Nothing here calls the
 * provider: a missing or invalid manifest fails before the batch exists, so it costs nothing.
 */
import type { BlobStore } from '../node/blob-store.js';
import { ManifestError, ManifestUnreadableError, loadManifestUnderRoot } from '../node/manifest/index.js';
import { defaultManifestRoot } from '../node/paths.js';
import {
  batchIdentity,
  manifestBytes,
  storeManifest,
  tooManyBriefsProblem,
  type BatchIdentity,
} from '../node/stored-manifest.js';
import type { BatchOptions } from '../shared/batch-options.js';
import type { BlobRef } from '../shared/blob-ref.js';
import { failure } from '../shared/failures.js';

export interface LoadScheduledManifestInput {
  /**
   * The schedule's template with the date filled in: relative to this worker's manifest root (or
   * absolute, and then it must lie under the root).
   */
  path: string;
  /** Options the briefs are validated against (e.g. the default size for briefs that give none). */
  options: BatchOptions;
}

export interface ScheduledManifest {
  manifest: BlobRef;
  thumbnails: number;
  /** Kept in the batch's memo, as `thumbgate start` keeps it. */
  identity: BatchIdentity;
}

export function createScheduledManifestActivities({
  store,
  manifestRoot = defaultManifestRoot(),
}: {
  store: BlobStore;
  /** THUMBGATE_MANIFEST_ROOT: the one folder schedule manifests are read from. */
  manifestRoot?: string;
}) {
  /**
   * Fails non-retryably with `ManifestUnavailable` when the file cannot be read (the same file would
   * still be missing on the next attempt), is not a regular file or lies outside the manifest root, and
   * `InvalidManifest` with every line and field at fault; store hiccups are thrown as they are, for the
   * activity's retry policy.
   */
  async function loadScheduledManifest({ path, options }: LoadScheduledManifestInput): Promise<ScheduledManifest> {
    let briefs;
    try {
      briefs = await loadManifestUnderRoot(manifestRoot, path, options);
    } catch (err) {
      if (err instanceof ManifestUnreadableError) {
        throw failure('ManifestUnavailable', err.problems.map((p) => p.message).join('; '));
      }
      if (err instanceof ManifestError) throw failure('InvalidManifest', err.message);
      throw err;
    }
    const tooMany = tooManyBriefsProblem(briefs.length);
    if (tooMany) throw failure('InvalidManifest', `${path}: ${tooMany}`);
    const bytes = manifestBytes(briefs);
    return {
      manifest: await storeManifest(store, bytes),
      thumbnails: briefs.length,
      identity: batchIdentity(bytes, options),
    };
  }

  return { loadScheduledManifest };
}
