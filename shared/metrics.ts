/**
 * The one table of thumbgate's own Prometheus metrics: names, help, label sets and buckets, for the
 * workflow side (workflows/metrics.ts), the activity side (activities/provider-metrics.ts) and the
 * worker that exposes them (worker/metrics.ts). Pure and sandbox-safe. A Grafana dashboard and the
 * Prometheus config are written against these names and labels: renaming one breaks them.
 *
 * Besides the labels below, every series carries `namespace` and `taskQueue`, and the SDK adds the
 * `workflowType` or `activityType` that emitted it (not to spend, which the worker sets itself).
 */
import type { MetricCounter, MetricGauge, MetricHistogram, MetricMeter } from '@temporalio/common';
import type { CostBasis, Phase } from './generation.js';
import type { FluxModel } from './price-card.js';

/** How a thumbnail child ended: a winner, a failure, or cancelled with the batch. */
export type ThumbnailOutcome = 'usable' | 'failed' | 'cancelled';

/**
 * The `model` of a provider exchange that is about no model (the account balance), and the `status` of
 * one that got no HTTP answer (refused, reset, timed out before the headers).
 */
export const NO_MODEL = 'none';
export const NO_RESPONSE = 'network';

/** Label values of each metric, so an emitter can neither leave one out nor invent one. */
export interface MetricLabels {
  spend: { model: FluxModel; phase: Phase; basis: CostBasis };
  thumbnails: { phase: Phase; outcome: ThumbnailOutcome };
  providerCalls: { model: FluxModel | typeof NO_MODEL; status: string };
  providerLatency: { model: FluxModel | typeof NO_MODEL };
  score: { phase: Phase };
  rerollWins: Record<never, string>;
}

type MetricKind = 'counter' | 'gauge' | 'histogram';

interface MetricDefinition {
  /** The name as exposed (and as the dashboard queries it). */
  name: string;
  kind: MetricKind;
  help: string;
  /** Histograms only: upper bounds of the buckets (the exporter adds +Inf). */
  buckets?: readonly number[];
}

export const METRICS: { readonly [K in keyof MetricLabels]: MetricDefinition } = {
  /**
   * A float gauge that only goes up (per process), not a counter: the SDK's counters are integers and
   * a call costs fractions of a dollar; rate() and increase() read it like a counter. Each billed call
   * is added once, at the amount its ledger settles on (`FinalAmountListener` in shared/ledger.ts).
   */
  spend: {
    name: 'thumbgate_spend_usd_total',
    kind: 'gauge',
    help: 'USD booked in the ledgers for billed provider calls, by model, phase and cost basis',
  },
  thumbnails: {
    name: 'thumbgate_thumbnails_total',
    kind: 'counter',
    help: 'Thumbnail children finished, by phase and outcome (usable, failed, cancelled)',
  },
  providerCalls: {
    name: 'thumbgate_provider_calls_total',
    kind: 'counter',
    help: 'HTTP exchanges with the provider, by model and HTTP status (network: no answer)',
  },
  providerLatency: {
    name: 'thumbgate_provider_latency_seconds',
    kind: 'histogram',
    help: 'Seconds from sending a provider request to its answer (status line and headers)',
    // Status polls take milliseconds, a synchronous render tens of seconds.
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  },
  score: {
    name: 'thumbgate_score',
    kind: 'histogram',
    help: "The winning candidate's gate score of each usable thumbnail, by phase",
    buckets: [
      0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1,
    ],
  },
  rerollWins: {
    name: 'thumbgate_reroll_wins_total',
    kind: 'counter',
    help: 'Re-rolls that scored higher than their draft (0 is added for each one that did not)',
  },
};

/**
 * How the SDK's Prometheus exporter names what it exposes (worker/metrics.ts passes these): Prometheus
 * conventions, which the dashboard's queries of the SDK's own metrics assume
 * (`temporal_workflow_completed_total`, `temporal_activity_execution_latency_seconds`).
 */
export const EXPORTER_NAMING = { countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true } as const;

/**
 * The name to create a metric under so that it is exposed as `metric.name`: the exporter appends
 * `_total` to counters. (Ours are created without a unit, so no unit suffix is added.)
 */
function meterName(metric: MetricDefinition): string {
  const suffix = '_total';
  return metric.kind === 'counter' && EXPORTER_NAMING.countersTotalSuffix && metric.name.endsWith(suffix)
    ? metric.name.slice(0, -suffix.length)
    : metric.name;
}

/** The counter of a `counter` definition on `meter` (the workflow's, an activity's, the runtime's). */
export function counterOf(meter: MetricMeter, metric: MetricDefinition): MetricCounter {
  return meter.createCounter(meterName(metric), undefined, metric.help);
}

export function histogramOf(meter: MetricMeter, metric: MetricDefinition): MetricHistogram {
  return meter.createHistogram(meterName(metric), 'float', undefined, metric.help);
}

export function gaugeOf(meter: MetricMeter, metric: MetricDefinition): MetricGauge {
  return meter.createGauge(meterName(metric), 'float', undefined, metric.help);
}

/** Histogram buckets by metric name, for the Prometheus exporter's options. */
export function histogramBuckets(): Record<string, number[]> {
  return Object.fromEntries(Object.values(METRICS).flatMap((m) => (m.buckets ? [[m.name, [...m.buckets]]] : [])));
}

/**
 * The workflow sink that carries spend out of the sandbox. A float gauge is set to a sum, not added to,
 * and each workflow knows only its own spend: the worker process keeps the sums (worker/metrics.ts).
 */
export type SpendSinks = {
  thumbgateSpend: {
    add(labels: MetricLabels['spend'], costMicros: number): void;
  };
};
