/**
 * `npm run worker`: the generation worker (workflows + provider calls) and the CLIP scoring
 * worker, in one process by default (THUMBGATE_WORKER_ROLES=generation,scoring picks). Settings
 * come from the environment only, so the Segmind key never enters workflow inputs or histories.
 */
import { NativeConnection, type Worker } from '@temporalio/worker';
import { LocalBlobStore } from '../activities/blob-store.js';
import { clipModelConfigFromEnv, sharedClipModelProvider, terminalProgress } from '../activities/scoring/index.js';
import { SegmindClient, createSegmindDispatcher } from '../activities/segmind/client.js';
import { ConfigError, loadWorkerConfig, workerRoles } from './config.js';
import { createGenerationWorker, createScoringWorker } from './create-workers.js';
import { temporalConnectConfig } from './temporal-connection.js';

async function run(): Promise<void> {
  const roles = workerRoles();
  const config = loadWorkerConfig(process.env, { needsProvider: roles.has('generation') });
  const { connectionOptions, namespace } = temporalConnectConfig();
  const connection = await NativeConnection.connect(connectionOptions);
  const dispatcher = createSegmindDispatcher(config.maxConcurrentGenerations);
  const store = new LocalBlobStore(config.storeDir);
  try {
    const workers: Worker[] = [];
    if (roles.has('generation')) {
      workers.push(
        await createGenerationWorker({
          connection,
          namespace,
          taskQueue: config.taskQueue,
          store,
          provider: new SegmindClient({ ...config.segmind, dispatcher }),
          outDir: config.outDir,
          maxConcurrentGenerations: config.maxConcurrentGenerations,
        })
      );
    }
    if (roles.has('scoring')) {
      const model = sharedClipModelProvider(clipModelConfigFromEnv(), { onProgress: terminalProgress(process.stderr) });
      workers.push(await createScoringWorker({ connection, namespace, taskQueue: config.taskQueue, store, model }));
    }
    console.log(
      `thumbgate worker (${[...roles].join(' + ')}) on ${connectionOptions.address} (${namespace}), ` +
        `task queue ${config.taskQueue}`
    );
    await Promise.all(workers.map((w) => w.run()));
  } finally {
    await connection.close();
    await dispatcher.close();
  }
}

run().catch((err) => {
  console.error(err instanceof ConfigError ? `thumbgate worker: ${err.message}` : err);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
