import { ApplicationFailure } from '@temporalio/common';
import type { BlobRef } from '../shared/blob-ref.js';
import type { ThumbnailBrief } from '../shared/thumbnail-brief.js';
import type { ThumbnailWorkflowResult } from '../shared/thumbnail-workflow.js';
import type { BlobStore } from '../common/blob-store.js';

export interface LoadBriefsInput {
  manifest: BlobRef;
  /** A page of the manifest by position... */
  offset?: number;
  limit?: number;
  /** ...or the briefs with these ids, in this order. */
  ids?: string[];
}

/** Record namespace of a batch's per-thumbnail results. */
export function resultsNamespace(batchId: string): string {
  return `results-${batchId}`;
}

export function resultKey(thumbnailId: string, phase: ThumbnailWorkflowResult['phase']): string {
  return `${thumbnailId}.${phase}`;
}

function parseBriefs(text: string): ThumbnailBrief[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ThumbnailBrief);
}

export function createBatchRecordActivities({ store }: { store: BlobStore }) {
  // A manifest is content-addressed, so its parse never goes stale: a large batch reads it in many
  // pages, and only the first page pays for reading and parsing it.
  let parsed: { sha256: string; briefs: ThumbnailBrief[] } | undefined;
  const briefsOf = async (manifest: BlobRef): Promise<ThumbnailBrief[]> => {
    if (parsed?.sha256 !== manifest.sha256) {
      parsed = { sha256: manifest.sha256, briefs: parseBriefs((await store.get(manifest)).toString('utf8')) };
    }
    return parsed.briefs;
  };

  /** Reads a page (or a chosen set) of the stored, already validated briefs of a batch. */
  async function loadBriefs(input: LoadBriefsInput): Promise<ThumbnailBrief[]> {
    const briefs = await briefsOf(input.manifest);
    if (input.ids) {
      const byId = new Map(briefs.map((b) => [b.id, b]));
      return input.ids.map((id) => {
        const brief = byId.get(id);
        if (!brief) throw ApplicationFailure.nonRetryable(`brief ${id} is not in manifest ${input.manifest.sha256}`);
        return brief;
      });
    }
    const offset = input.offset ?? 0;
    return briefs.slice(offset, offset + (input.limit ?? briefs.length));
  }

  /** Keeps a thumbnail's full result (candidates, scores, ledger) beside the images for the output writer. */
  async function saveThumbnailResult(result: ThumbnailWorkflowResult): Promise<void> {
    await store.putRecord(resultsNamespace(result.batchId), resultKey(result.thumbnailId, result.phase), result);
  }

  /**
   * The ledger an earlier run of this batch kept for the thumbnail (a batch restarted after a
   * failure continues it), or nothing for a first run.
   */
  async function loadPriorLedger(slot: {
    batchId: string;
    thumbnailId: string;
    phase: ThumbnailWorkflowResult['phase'];
  }) {
    const previous = await store.getRecord<ThumbnailWorkflowResult>(
      resultsNamespace(slot.batchId),
      resultKey(slot.thumbnailId, slot.phase)
    );
    return previous?.ledger ?? [];
  }

  return { loadBriefs, saveThumbnailResult, loadPriorLedger };
}
