/**
 * Provider exchanges as metrics (shared/metrics.ts has the table), through the metric meter of the
 * activity making the call, so they come out on the worker's Prometheus endpoint with the SDK's own.
 */
import { asyncLocalStorage } from '@temporalio/activity';
import { METRICS, NO_MODEL, NO_RESPONSE, counterOf, histogramOf, type MetricLabels } from '../shared/metrics.js';
import type { ProviderExchange } from './segmind/client.js';

/** The `onExchange` of the worker's Segmind client. */
export function countProviderExchange({ model, status, seconds }: ProviderExchange): void {
  // The worker calls the provider only from activities; a call outside one (a script) has no meter.
  const meter = asyncLocalStorage.getStore()?.metricMeter;
  if (!meter) return;
  const calls: MetricLabels['providerCalls'] = {
    model: model ?? NO_MODEL,
    status: status === undefined ? NO_RESPONSE : String(status),
  };
  counterOf(meter, METRICS.providerCalls).add(1, calls);
  const latency: MetricLabels['providerLatency'] = { model: calls.model };
  histogramOf(meter, METRICS.providerLatency).record(seconds, latency);
}
