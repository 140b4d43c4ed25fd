/**
 * `npm run worker`: the generation worker (workflows + provider calls) and the CLIP scoring
 * worker, in one process by default (THUMBGATE_WORKER_ROLES=generation,scoring picks). Settings
 * come from the environment only, so the Segmind key never enters workflow inputs or histories.
 * `--metrics-port N` (or THUMBGATE_METRICS_PORT) serves Prometheus metrics on that port, on 127.0.0.1 unless
 * `--metrics-host` (or THUMBGATE_METRICS_HOST) names another address.
 */
import { parseArgs } from 'node:util';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { LocalBlobStore } from '../node/blob-store.js';
import {
  clipModelConfigFromEnv,
  createOcrPool,
  sharedClipModelProvider,
  terminalProgress,
} from '../activities/scoring/index.js';
import { SegmindClient, createSegmindDispatcher } from '../activities/segmind/client.js';
import { isArgError } from '../node/arg-errors.js';
import { ConfigError, loadWorkerConfig, metricsSetting, workerRoles } from './config.js';
import { callbackKeysFromEnv } from './callback-secrets.js';
import { createGenerationWorkers, createScoringWorker } from './create-workers.js';
import { installMetrics, metricsAddress } from './metrics.js';
import { countProviderExchange } from '../activities/provider-metrics.js';
import { temporalConnectConfig } from '../node/temporal-connection.js';
import { PayloadKeyError, payloadDataConverter } from '../node/payload-codec.js';

function flags() {
  return parseArgs({
    options: {
      'clip-model': { type: 'string' },
      'model-dir': { type: 'string' },
      'model-cache': { type: 'string' },
      'allow-remote-models': { type: 'string' },
      'metrics-port': { type: 'string' },
      'metrics-host': { type: 'string' },
    },
  }).values;
}

/** Model flags override the THUMBGATE_CLIP_* / THUMBGATE_MODEL_* environment (docs/model-loading.md). */
function clipFlags(values: ReturnType<typeof flags>) {
  const remote = values['allow-remote-models'];
  if (remote !== undefined && remote !== 'true' && remote !== 'false') {
    throw new ConfigError(`--allow-remote-models must be true or false, got ${JSON.stringify(remote)}`);
  }
  return {
    modelId: values['clip-model'],
    modelDir: values['model-dir'],
    cacheDir: values['model-cache'],
    allowRemote: remote === undefined ? undefined : remote === 'true',
  };
}

async function run(): Promise<void> {
  const values = flags();
  const metrics = metricsSetting(process.env, values['metrics-port'], values['metrics-host']);
  const roles = workerRoles();
  const clipConfig = clipModelConfigFromEnv(process.env, clipFlags(values));
  const config = loadWorkerConfig(process.env, { needsProvider: roles.has('generation') });
  // Checked before connecting: a short or malformed callback secret stops the worker with the fix.
  const callbackKeys = roles.has('generation') ? callbackKeysFromEnv(process.env) : undefined;
  // THUMBGATE_PAYLOAD_KEYS: a malformed or wrong-length key stops the worker before it connects.
  const dataConverter = payloadDataConverter(process.env);
  // Before the connection: it would install the SDK's default runtime, which has no exporter.
  if (metrics) installMetrics(metrics);
  const { connectionOptions, namespace } = temporalConnectConfig();
  const connection = await NativeConnection.connect(connectionOptions);
  const dispatcher = createSegmindDispatcher(config.maxConcurrentGenerations);
  const store = new LocalBlobStore(config.storeDir);
  // Started on the first prompt that asks for text; stopped with the worker.
  const ocr = createOcrPool();
  try {
    const workers: Worker[] = [];
    if (roles.has('generation')) {
      workers.push(
        ...(await createGenerationWorkers({
          connection,
          namespace,
          taskQueue: config.taskQueue,
          store,
          provider: new SegmindClient({ ...config.segmind, dispatcher, onExchange: countProviderExchange }),
          outDir: config.outDir,
          maxConcurrentGenerations: config.maxConcurrentGenerations,
          transport: config.transport,
          providerRpm: config.providerRpm,
          dataConverter,
          ...(callbackKeys ? { callbackKeys } : {}),
          callbackHosts: config.callbackHosts,
        }))
      );
    }
    if (roles.has('scoring')) {
      const model = sharedClipModelProvider(clipConfig, { onProgress: terminalProgress(process.stderr) });
      workers.push(
        await createScoringWorker({
          connection,
          namespace,
          taskQueue: config.taskQueue,
          store,
          model,
          ocr,
          dataConverter,
        })
      );
    }
    console.log(
      `thumbgate worker (${[...roles].join(' + ')}) on ${connectionOptions.address} (${namespace}), ` +
        `task queue ${config.taskQueue}` +
        (roles.has('generation') ? `, Segmind ${config.transport} at ${config.providerRpm} requests/min` : '') +
        (metrics ? `, metrics on http://${metricsAddress(metrics.host, metrics.port)}/metrics` : '')
    );
    await Promise.all(workers.map((w) => w.run()));
  } finally {
    await ocr.terminate();
    await connection.close();
    await dispatcher.close();
  }
}

run().catch((err) => {
  const usage =
    err instanceof ConfigError || err instanceof PayloadKeyError || err instanceof RangeError || isArgError(err);
  console.error(usage ? `thumbgate worker: ${(err as Error).message}` : err);
  process.exit(usage ? 2 : 1);
});
