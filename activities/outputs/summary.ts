/** summary.json: the batch at a glance, for scripts that do not want to read every line. */
import type { BatchCost } from '../../shared/batch-workflow.js';
import type { ThumbnailOutcome } from './thumbnail-outcome.js';

export interface BatchCounts {
  thumbnails: number;
  succeeded: number;
  failed: number;
  /**
   * Thumbnails the batch re-rolled (a listed decision or a stored re-roll result), whether or not the
   * re-roll produced an image.
   */
  rerolled: number;
  /** Thumbnails whose delivered image is the re-roll. */
  rerollWins: number;
}

export function emptyCounts(): BatchCounts {
  return { thumbnails: 0, succeeded: 0, failed: 0, rerolled: 0, rerollWins: 0 };
}

export function countOutcome(counts: BatchCounts, outcome: ThumbnailOutcome): void {
  counts.thumbnails += 1;
  if (outcome.status === 'ok') counts.succeeded += 1;
  else counts.failed += 1;
  if (outcome.decision) counts.rerolled += 1;
  if (outcome.winner?.phase === 'reroll') counts.rerollWins += 1;
}

export interface BatchSummary {
  batchId: string;
  workflowId: string;
  counts: BatchCounts;
  /** True when any score came from a randomly initialised model: the scores are not quality judgements. */
  randomWeights: boolean;
  cost: BatchCost;
  ledger: {
    entries: number;
    costMicros: number;
    /** False when ledger.csv does not sum to `cost.totals.costMicros` (results missing from the store). */
    matchesTotals: boolean;
  };
  contactSheet: {
    html: string;
    /** `contact-sheet.jpg`, or null when it could not be drawn (the rest of the folder is complete). */
    image: string | null;
    imageRows: number;
    /** Why the image is missing. */
    imageError?: string;
  };
}
