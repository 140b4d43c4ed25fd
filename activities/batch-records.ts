/**
 * The batch's records in the store: its briefs (read a page at a time) and each thumbnail's full result
 * (candidates, scores, ledger), kept per (batch id, manifest) so that another manifest started under an
 * old batch id never inherits that batch's ledgers or re-roll records.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { BlobStore } from '../node/blob-store.js';
import { readStoredManifest } from '../node/stored-manifest.js';
import type { BlobRef } from '../shared/blob-ref.js';
import { emptyTotals, mergeTotals, type LedgerTotals } from '../shared/ledger.js';
import type { ThumbnailBrief } from '../shared/thumbnail-brief.js';
import type { ThumbnailSlot, ThumbnailWorkflowResult } from '../shared/thumbnail-workflow.js';

/** Most bytes of briefs one page returns: a page is one activity result, and payloads stop at 2 MB. */
export const BRIEF_PAGE_BYTES = 512 * 1024;

export interface LoadBriefsInput {
  manifest: BlobRef;
  /** A page of the manifest by position (shorter when the briefs pass BRIEF_PAGE_BYTES)... */
  offset?: number;
  limit?: number;
  /** ...or the briefs with these ids, in this order. */
  ids?: string[];
}

/** Record namespace of a batch's per-thumbnail results, for one manifest. */
export function resultsNamespace(batchId: string, manifestSha256: string): string {
  return `results-${batchId}-${manifestSha256.slice(0, 16)}`;
}

export function resultKey(thumbnailId: string, phase: ThumbnailWorkflowResult['phase']): string {
  return `${thumbnailId}.${phase}`;
}

/** The first briefs of `briefs` that fit in BRIEF_PAGE_BYTES (always at least one, so pages advance). */
function withinPageBytes(briefs: ThumbnailBrief[]): ThumbnailBrief[] {
  let bytes = 0;
  let count = 0;
  for (const brief of briefs) {
    bytes += Buffer.byteLength(JSON.stringify(brief));
    if (count > 0 && bytes > BRIEF_PAGE_BYTES) break;
    count += 1;
  }
  return briefs.slice(0, count);
}

export function createBatchRecordActivities({ store }: { store: BlobStore }) {
  // A manifest is content-addressed, so its parse never goes stale: a large batch reads it in many
  // pages, and only the first page pays for reading and parsing it.
  let parsed: { sha256: string; briefs: ThumbnailBrief[] } | undefined;
  const briefsOf = async (manifest: BlobRef): Promise<ThumbnailBrief[]> => {
    if (parsed?.sha256 !== manifest.sha256) {
      parsed = { sha256: manifest.sha256, briefs: await readStoredManifest(store, manifest) };
    }
    return parsed.briefs;
  };
  const stored = (slot: ThumbnailSlot) =>
    store.getRecord<ThumbnailWorkflowResult>(
      resultsNamespace(slot.batchId, slot.manifestSha256),
      resultKey(slot.thumbnailId, slot.phase)
    );

  /** Reads a page (or a chosen set) of the stored, already validated briefs of a batch. */
  async function loadBriefs(input: LoadBriefsInput): Promise<ThumbnailBrief[]> {
    const briefs = await briefsOf(input.manifest);
    if (input.ids) {
      const byId = new Map(briefs.map((b) => [b.id, b]));
      return withinPageBytes(
        input.ids.map((id) => {
          const brief = byId.get(id);
          if (!brief) throw ApplicationFailure.nonRetryable(`brief ${id} is not in manifest ${input.manifest.sha256}`);
          return brief;
        })
      );
    }
    const offset = input.offset ?? 0;
    return withinPageBytes(briefs.slice(offset, offset + (input.limit ?? briefs.length)));
  }

  /** Keeps a thumbnail's full result (candidates, scores, ledger) beside the images for the output writer. */
  async function saveThumbnailResult(result: ThumbnailWorkflowResult): Promise<void> {
    await store.putRecord(
      resultsNamespace(result.batchId, result.manifestSha256),
      resultKey(result.thumbnailId, result.phase),
      result
    );
  }

  /**
   * The ledger an earlier run of this batch kept for the thumbnail (a batch restarted after a
   * failure continues it), or nothing for a first run.
   */
  async function loadPriorLedger(slot: ThumbnailSlot) {
    return (await stored(slot))?.ledger ?? [];
  }

  /**
   * The summed spend of thumbnails whose workflows were cancelled before they could report: each
   * stored its record on the way out, so a cancelled batch still books everything it paid for.
   */
  async function loadThumbnailTotals(slots: ThumbnailSlot[]): Promise<LedgerTotals> {
    const totals = emptyTotals();
    for (const slot of slots) {
      const result = await stored(slot);
      if (result) mergeTotals(totals, result.totals);
    }
    return totals;
  }

  return { loadBriefs, saveThumbnailResult, loadPriorLedger, loadThumbnailTotals };
}
