/**
 * Metrics emitted by the workflows (shared/metrics.ts has the table). Emitting is not a command: it
 * changes no history and replays the same. The SDK's workflow `metricMeter` and the spend sink both
 * skip replays, so a thumbnail replayed on another worker is not counted twice.
 */
import { metricMeter, proxySinks, workflowInfo } from '@temporalio/workflow';
import type { LedgerEntry, Phase } from '../shared/generation.js';
import { METRICS, counterOf, histogramOf, type MetricLabels, type SpendSinks } from '../shared/metrics.js';
import { bestScoreOf, type ThumbnailWorkflowResult } from '../shared/thumbnail-workflow.js';

const { thumbgateSpend } = proxySinks<SpendSinks>();

/** A ledger's final amount (see `FinalAmountListener` in shared/ledger.ts), added to the spend sums. */
export function countSpend(entry: LedgerEntry): void {
  // The sink would skip a replayed call too; checking here keeps it out of replay workers' logs.
  if (workflowInfo().unsafe.isReplaying) return;
  const labels: MetricLabels['spend'] = { model: entry.model, phase: entry.phase, basis: entry.basis };
  thumbgateSpend.add(labels, entry.costMicros);
}

function countThumbnail(labels: MetricLabels['thumbnails']): void {
  counterOf(metricMeter, METRICS.thumbnails).add(1, labels);
}

/** A thumbnail child that ended with a result: counted by outcome, and its winning score recorded. */
export function countThumbnailResult(result: ThumbnailWorkflowResult): void {
  countThumbnail({ phase: result.phase, outcome: result.ok ? 'usable' : 'failed' });
  const score = bestScoreOf(result);
  // A NaN score (nothing the scorer could judge) would turn the histogram's sum into NaN, and a
  // negative value throws in workflow code (failing the task); scores are in [0, 1] (docs/scoring.md).
  if (score === undefined || !Number.isFinite(score)) return;
  const labels: MetricLabels['score'] = { phase: result.phase };
  histogramOf(metricMeter, METRICS.score).record(Math.max(0, score), labels);
}

export function countThumbnailCancelled(phase: Phase): void {
  countThumbnail({ phase, outcome: 'cancelled' });
}

/** Every decided re-roll adds to the wins counter (0 when the draft stands), so the series exists from the first. */
export function countRerollDecision(won: boolean): void {
  counterOf(metricMeter, METRICS.rerollWins).add(won ? 1 : 0, {} satisfies MetricLabels['rerollWins']);
}
