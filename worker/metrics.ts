/**
 * The worker's Prometheus endpoint: the SDK's runtime metrics and thumbgate's own (shared/metrics.ts),
 * served by the SDK's exporter on one port. Off unless `--metrics-port` / THUMBGATE_METRICS_PORT is set;
 * bound to 127.0.0.1 unless `--metrics-host` / THUMBGATE_METRICS_HOST names another address.
 */
import { Runtime, type InjectedSinks } from '@temporalio/worker';
import { EXPORTER_NAMING, METRICS, gaugeOf, histogramBuckets, type SpendSinks } from '../shared/metrics.js';
import { MICROS_PER_USD } from '../shared/money.js';
import { ConfigError, type MetricsSetting } from './config.js';

/**
 * Installs the SDK runtime with the Prometheus exporter on `<host>:<port>` (127.0.0.1 unless configured:
 * compose binds 0.0.0.0 on the network Prometheus scrapes). Must run before any connection or worker is
 * created in this process: those install the default runtime, which has no exporter and cannot be replaced.
 */
export function installMetrics({ port, setting, host }: MetricsSetting): void {
  try {
    Runtime.install({
      telemetryOptions: {
        metrics: {
          prometheus: {
            bindAddress: metricsAddress(host, port),
            ...EXPORTER_NAMING,
            histogramBucketOverrides: histogramBuckets(),
          },
        },
      },
    });
  } catch (err) {
    // Typically the port is taken ("Address already in use").
    throw new ConfigError(
      `${setting} ${port} on ${host}: cannot serve metrics there (${(err as Error).message}); ` +
        'give a free port, or leave it unset to run without metrics'
    );
  }
}

/** `host:port` as a socket address; an IPv6 literal goes in brackets. */
export function metricsAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Spend in micro-dollars per label set, summed exactly; the gauge shows it in dollars. */
const spentMicros = new Map<string, number>();

/**
 * The workflow sink behind `thumbgate_spend_usd_total`. The sums are per process, like the SDK's own
 * counters: a restarted worker starts from zero, which rate() and increase() read as a counter reset.
 * Without an exporter the runtime's meter does nothing.
 */
export function spendSinks(): InjectedSinks<SpendSinks> {
  return {
    thumbgateSpend: {
      add: {
        fn(info, labels, costMicros) {
          // The labels the SDK puts on the workflows' own metrics, so dashboards filter them alike.
          const tags = { ...labels, namespace: info.namespace, taskQueue: info.taskQueue };
          const key = JSON.stringify(Object.entries(tags).sort());
          const total = (spentMicros.get(key) ?? 0) + costMicros;
          spentMicros.set(key, total);
          gaugeOf(Runtime.instance().metricMeter, METRICS.spend).set(total / MICROS_PER_USD, tags);
        },
        // A replayed booking was added when it first ran.
        callDuringReplay: false,
      },
    },
  };
}
