/**
 * What a batch shows in the Temporal UI from the moment it starts: its static summary and details and
 * its first search attributes. Sandbox-safe: `thumbgate start` sets them when it starts a batch, and the
 * scheduled-batch workflow when it starts one as a child, so both look the same in the UI and in
 * `thumbgate list`.
 */
import type { SearchAttributePair } from '@temporalio/common';
import type { BatchOptions } from './batch-options.js';
import type { BatchBudget } from './budget.js';
import { formatUsd } from './money.js';
import { PRICE_CARD } from './price-card.js';
import { spendUsdKey, stageKey, thumbnailCountKey } from './search-attributes.js';

export interface BatchStartLabels {
  staticSummary: string;
  staticDetails: string;
  typedSearchAttributes: SearchAttributePair[];
}

export function batchStartLabels(
  batchId: string,
  thumbnails: number,
  o: BatchOptions,
  budget?: BatchBudget
): BatchStartLabels {
  return {
    staticSummary: `thumbgate batch ${batchId}: ${thumbnails} thumbnails`,
    staticDetails: [
      `**${thumbnails} thumbnails** — ${o.candidates} drafts each on ${o.draftModel}` +
        // Steps are shown where they set the price: on the per-GPU-second models.
        `${PRICE_CARD[o.draftModel].pricing.mode === 'gpu-second' ? ` at ${o.draftSteps} steps` : ''}`,
      `bottom ${o.rerollFraction * 100}% re-rolled on ${o.rerollModel}; up to ${o.maxInFlight} thumbnails in flight`,
      ...(budget?.maxMicros !== undefined ? [`spending limit ${formatUsd(budget.maxMicros, 2)} at start`] : []),
      ...(budget?.key ? [`limits per \`${budget.key}\` for ${Object.keys(budget.perKey ?? {}).length} values`] : []),
    ].join('\n\n'),
    typedSearchAttributes: [
      { key: stageKey, value: 'drafting' },
      { key: thumbnailCountKey, value: thumbnails },
      { key: spendUsdKey, value: 0 },
    ],
  };
}
