/** A finished batch's completion callback body, for the tests of signing and sending it. */
import type { CompletionSummary } from '../../shared/notification.js';
import { microsToUsd } from '../../shared/money.js';

/** `batchId` done: `thumbnails` drafts, all usable, none re-rolled, 6,000 µ$ each. */
export function completionSummary(batchId: string, thumbnails = 2): CompletionSummary {
  const spendMicros = 6_000 * thumbnails;
  return {
    event: 'thumbgate.batch.finished',
    batchId,
    workflowId: batchId,
    status: 'done',
    thumbnails,
    succeeded: thumbnails,
    failed: 0,
    rerolled: 0,
    rerollWins: 0,
    spendMicros,
    spendUsd: microsToUsd(spendMicros),
    costPerUsableUsd: microsToUsd(spendMicros / thumbnails),
    finishedAt: '2026-11-25T06:04:12.000Z',
  };
}
