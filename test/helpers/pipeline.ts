/**
 * A real pipeline for integration tests: the suite's Temporal dev server, the Segmind emulator
 * over real HTTP, a temp content-addressed store, and real workers (generation + CLIP scoring on
 * the tiny generated model) on a task queue of their own.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  DefaultLogger,
  Runtime,
  bundleWorkflowCode,
  type Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { LocalBlobStore } from '../../node/blob-store.js';
import {
  ClipModelProvider,
  TINY_CLIP_MODEL,
  clipModelConfigFromEnv,
  createOcrPool,
} from '../../activities/scoring/index.js';
import { SegmindClient, createSegmindDispatcher, type SegmindClientOptions } from '../../activities/segmind/client.js';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../emulator/server.js';
import type { Transport } from '../../activities/generate-candidate.js';
import type { RetryDelays } from '../../shared/retry.js';
import { callbackKeysFromEnv } from '../../worker/callback-secrets.js';
import { createGenerationWorkers, createScoringWorker, type WorkerDeps } from '../../worker/create-workers.js';
import { projectRoot, workflowsPath } from '../../node/paths.js';
import { payloadDataConverter } from '../../node/payload-codec.js';

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();

function quietRuntime(): void {
  try {
    // Expected noise (cancelled activities completing late, retried failures) stays out of CI output.
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
    });
  } catch {
    // already installed in this process
  }
}

/**
 * Workflows bundled once per test file (and per failure converter: the payload codec's encodes failure
 * messages inside the sandbox too, so it is compiled into the bundle, as Worker.create does for a path).
 */
export function workflowBundle(failureConverterPath?: string): Promise<WorkflowBundleWithSourceMap> {
  quietRuntime();
  const key = failureConverterPath ?? '';
  let bundle = bundles.get(key);
  if (!bundle) {
    bundle = bundleWorkflowCode({
      workflowsPath,
      logger: new DefaultLogger('ERROR'),
      ...(failureConverterPath ? { failureConverterPath } : {}),
    });
    bundles.set(key, bundle);
  }
  return bundle;
}

/** Histories recorded from a real batch, replayed by test/replay.test.ts against the current code. */
export const HISTORY_FIXTURES = join(projectRoot, 'test', 'fixtures', 'histories');

export const TEST_API_KEY = 'thumbgate-test-key-do-not-log';

export interface PipelineOptions {
  /** A Temporal frontend of the test's own (host:port); defaults to the suite's server. */
  address?: string;
  emulator?: EmulatorOptions;
  /** The key the worker sends; defaults to one the emulator accepts. */
  apiKey?: string;
  headersTimeoutMs?: number;
  /** More limits of the workers' Segmind client (e.g. a short `exchangeTimeoutMs` for slow-drip faults). */
  segmind?: Pick<SegmindClientOptions, 'exchangeTimeoutMs' | 'maxBodyBytes' | 'bodyTimeoutMs'>;
  scoring?: boolean;
  /** The scoring worker's model; defaults to the committed tiny CLIP. */
  clipModelId?: string;
  /** Worker-side back-off between provider attempts (tests that retry want it short). */
  retryDelays?: RetryDelays;
  /** Segmind transport the workers use (default v2, as in production). */
  transport?: Transport;
  /** The provider queue's rate limit, requests per minute (default none). */
  providerRpm?: number;
  /** Stand-ins for some generation-worker activities. */
  activityOverrides?: WorkerDeps['activityOverrides'];
  /** Payload encryption for the client and every worker; defaults to THUMBGATE_PAYLOAD_KEYS (unset: off). */
  dataConverter?: DataConverter;
  /** Signs completion callbacks for every receiver (THUMBGATE_WEBHOOK_SECRET in production; 32+ characters). */
  webhookSecret?: string;
  /** Where the workers read schedule manifests (THUMBGATE_MANIFEST_ROOT in production). */
  manifestRoot?: string;
  /**
   * THUMBGATE_CALLBACK_HOSTS of the workers; default `127.0.0.1`, where the tests' receivers listen
   * (test/helpers/callback-receiver.ts).
   */
  callbackHosts?: readonly string[];
}

export interface Pipeline {
  env: TestWorkflowEnvironment;
  emulator: Emulator;
  store: LocalBlobStore;
  outDir: string;
  taskQueue: string;
  workers: Worker[];
  teardown(): Promise<void>;
}

export async function startPipeline(options: PipelineOptions = {}): Promise<Pipeline> {
  const address = options.address ?? process.env.TEMPORAL_TEST_ADDRESS;
  if (!address) throw new Error('TEMPORAL_TEST_ADDRESS is not set: run the tests with `npm test`');
  const dataConverter = options.dataConverter ?? payloadDataConverter();
  const workflowBundleReady = workflowBundle(dataConverter.failureConverterPath);
  const env = await TestWorkflowEnvironment.createFromExistingServer({ address, client: { dataConverter } });
  const emulator = await createEmulator({ apiKeys: [TEST_API_KEY], ...options.emulator });
  const root = await mkdtemp(join(tmpdir(), 'thumbgate-it-'));
  const store = new LocalBlobStore(join(root, 'store'));
  const outDir = join(root, 'out');
  const taskQueue = `test-${randomUUID()}`;
  const dispatcher = createSegmindDispatcher(16);
  const provider = new SegmindClient({
    apiKey: options.apiKey ?? TEST_API_KEY,
    baseUrl: emulator.url,
    dispatcher,
    headersTimeoutMs: options.headersTimeoutMs ?? 10_000,
    ...options.segmind,
  });
  const workers = [
    ...(await createGenerationWorkers({
      connection: env.nativeConnection,
      taskQueue,
      store,
      provider,
      outDir,
      workflowBundle: await workflowBundleReady,
      dataConverter,
      ...(options.retryDelays ? { retryDelays: options.retryDelays } : {}),
      ...(options.activityOverrides ? { activityOverrides: options.activityOverrides } : {}),
      transport: options.transport ?? 'v2',
      ...(options.providerRpm ? { providerRpm: options.providerRpm } : {}),
      ...(options.webhookSecret
        ? { callbackKeys: callbackKeysFromEnv({ THUMBGATE_WEBHOOK_SECRET: options.webhookSecret }) }
        : {}),
      ...(options.manifestRoot ? { manifestRoot: options.manifestRoot } : {}),
      callbackHosts: options.callbackHosts ?? ['127.0.0.1'],
      pollIntervalMs: 100,
    })),
  ];
  // Started only if a prompt asks for text in quotes; stopped at teardown.
  const ocr = createOcrPool();
  if (options.scoring !== false) {
    const model = new ClipModelProvider(
      clipModelConfigFromEnv(
        {},
        { modelId: options.clipModelId ?? TINY_CLIP_MODEL, modelDir: join(projectRoot, 'models'), allowRemote: false }
      )
    );
    workers.push(
      await createScoringWorker({ connection: env.nativeConnection, taskQueue, store, model, ocr, dataConverter })
    );
  }
  const running = Promise.all(workers.map((w) => w.run()));
  return {
    env,
    emulator,
    store,
    outDir,
    taskQueue,
    workers,
    async teardown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await running;
      await ocr.terminate();
      await emulator.close();
      await dispatcher.close();
      await env.teardown();
      await rm(root, { recursive: true, force: true });
    },
  };
}
