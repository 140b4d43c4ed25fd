/**
 * The waste breaker: a provider that keeps charging for unusable images (junk answers, wrong sizes)
 * would otherwise eat the budget quietly. It trips after `maxConsecutiveUnusable` paid-but-unusable
 * calls in a row, or once their share of spend passes `maxUnusableShare` after `WASTE_MIN_CALLS` calls.
 * Its count lives in the carried state, so it spans continue-as-new.
 */
import type { BatchOptions } from '../shared/batch-options.js';
import type { BatchCarry } from '../shared/batch-workflow.js';
import { formatUsd } from '../shared/money.js';
import type { ThumbnailWorkflowResult } from '../shared/thumbnail-workflow.js';

/** The unusable-share rule needs a sample before it can judge. */
const WASTE_MIN_CALLS = 20;

export class WasteBreaker {
  constructor(
    private readonly options: BatchOptions,
    /** The batch's carried state: the breaker counts in it and reads its booked totals. */
    private readonly carry: BatchCarry
  ) {}

  /**
   * Counts a finished thumbnail's calls (its totals already booked) and returns why the batch must stop
   * for waste (a `WasteLimitReached` message), or undefined.
   */
  check(result: ThumbnailWorkflowResult): string | undefined {
    const c = this.carry;
    const { maxConsecutiveUnusable, maxUnusableShare } = this.options;
    const entries = [...result.ledger].sort((a, b) => a.attempt - b.attempt || a.candidateIndex - b.candidateIndex);
    for (const e of entries) c.consecutiveUnusable = e.outcome === 'unusable' ? c.consecutiveUnusable + 1 : 0;
    const t = c.totals;
    if (c.consecutiveUnusable >= maxConsecutiveUnusable) {
      return `${c.consecutiveUnusable} paid calls in a row gave no usable image (last: ${result.thumbnailId})`;
    }
    if (t.calls >= WASTE_MIN_CALLS && t.unusableCostMicros > maxUnusableShare * t.costMicros) {
      return (
        `${formatUsd(t.unusableCostMicros)} of ${formatUsd(t.costMicros)} spent on unusable images ` +
        `(over ${Math.round(maxUnusableShare * 100)}%)`
      );
    }
    return undefined;
  }
}
