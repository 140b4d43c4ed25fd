import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes registered on the server so operators can filter batches in the UI. */
export const spendUsdKey = defineSearchAttributeKey('ThumbgateSpendUsd', SearchAttributeType.DOUBLE);
export const stageKey = defineSearchAttributeKey('ThumbgateStage', SearchAttributeType.KEYWORD);
export const thumbnailCountKey = defineSearchAttributeKey('ThumbgateThumbnails', SearchAttributeType.INT);

/** `name=Type` pairs in the form `temporal server start-dev --search-attribute` takes. */
export const searchAttributeFlags: readonly string[] = [
  `${spendUsdKey.name}=Double`,
  `${stageKey.name}=Keyword`,
  `${thumbnailCountKey.name}=Int`,
];

/**
 * Set by a Temporal Schedule on every run it starts (a system attribute, never registered by us): the
 * time the run was scheduled for, or the trigger time of a manual trigger.
 */
export const scheduledStartTimeKey = defineSearchAttributeKey(
  'TemporalScheduledStartTime',
  SearchAttributeType.DATETIME
);
