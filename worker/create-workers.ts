import type { DataConverter } from '@temporalio/common';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createBatchRecordActivities } from '../activities/batch-records.js';
import type { BlobStore } from '../node/blob-store.js';
import type { CallbackKeyring } from '../node/callback-signature.js';
import { createGenerateActivities, type ImageProvider, type Transport } from '../activities/generate-candidate.js';
import { createNotifyActivities } from '../activities/notify.js';
import { createOutputActivities } from '../activities/outputs/index.js';
import { createScheduleFiringActivities } from '../activities/schedule-firing.js';
import { createScheduledManifestActivities } from '../activities/scheduled-manifest.js';
import {
  SCORING_WORKER_OPTIONS,
  createScoringActivities,
  type ClipModelProvider,
  type OcrPool,
} from '../activities/scoring/index.js';
import type { RetryDelays } from '../shared/retry.js';
import { providerTaskQueueFor, scoringTaskQueueFor } from '../shared/task-queues.js';
import { workflowsPath } from '../node/paths.js';
import { payloadDataConverter } from '../node/payload-codec.js';
import { spendSinks } from './metrics.js';

/**
 * Share of the plan's rate the provider queue is held to. Temporal's limiter lets a short burst through
 * (at start, after an idle spell), and a provider counts a sliding minute: at exactly the plan's rate a
 * few percent of submits meet a 429; 5% headroom keeps them under 1% (docs/provider.md, `npm run bench:rate`).
 */
const PLAN_HEADROOM = 0.95;

export interface WorkerDeps {
  connection: NativeConnection;
  namespace?: string;
  /** The generation queue; the scoring queue is derived from it. */
  taskQueue: string;
  store: BlobStore;
  provider: ImageProvider;
  /** Root of the per-batch output folders. */
  outDir: string;
  maxConcurrentGenerations?: number;
  /** Segmind transport: `v2` async (default) or `v1` sync. */
  transport?: Transport;
  /**
   * The provider plan's requests per minute, for every worker on this queue together (Temporal's
   * task-queue rate limit on the provider queue). Undefined: no limit.
   */
  providerRpm?: number;
  /** Back-off between provider attempts; defaults to shared/retry.ts. */
  retryDelays?: RetryDelays;
  /** Pause between status polls of an accepted job (tests shorten it). */
  pollIntervalMs?: number;
  /**
   * A pre-built bundle (tests build it once per file); defaults to bundling `workflows/`. Built with
   * the data converter's `failureConverterPath` when the codec is on.
   */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Payload encryption (node/payload-codec.ts); defaults to THUMBGATE_PAYLOAD_KEYS from the environment. */
  dataConverter?: DataConverter;
  /**
   * Signs completion callbacks, a secret per receiver host (worker/callback-secrets.ts). Worker-side only,
   * like the provider key; a batch whose notify URL has no secret here records the callback as not
   * delivered, with the fix.
   */
  callbackKeys?: CallbackKeyring;
  /**
   * THUMBGATE_CALLBACK_HOSTS: receivers allowed at private or loopback addresses (`host` or
   * `host:port`); any other callback goes to public addresses only (node/outbound.ts).
   */
  callbackHosts?: readonly string[];
  /** Where schedule manifests are read from; defaults to THUMBGATE_MANIFEST_ROOT (node/paths.ts). */
  manifestRoot?: string;
  /** Replacements for some activities (tests register stand-ins here, as the Temporal samples do). */
  activityOverrides?: Partial<GenerationActivities>;
}

type GenerationActivities = ReturnType<typeof createGenerateActivities> &
  ReturnType<typeof createBatchRecordActivities> &
  ReturnType<typeof createOutputActivities> &
  ReturnType<typeof createScheduledManifestActivities> &
  ReturnType<typeof createScheduleFiringActivities> &
  ReturnType<typeof createNotifyActivities>;

/**
 * The generation workers: one on the generation queue for the workflows and the I/O-bound activities
 * (collecting jobs, records, outputs, the balance), and one on the provider queue for the calls that
 * start provider work, rate-limited to the plan. Provider calls are mostly waiting, so many run at once.
 */
export async function createGenerationWorkers(deps: WorkerDeps): Promise<Worker[]> {
  const { requestCandidate, ...others } = {
    ...createGenerateActivities({
      store: deps.store,
      provider: deps.provider,
      ...(deps.transport ? { transport: deps.transport } : {}),
      ...(deps.retryDelays ? { retryDelays: deps.retryDelays } : {}),
      ...(deps.pollIntervalMs !== undefined ? { pollIntervalMs: deps.pollIntervalMs } : {}),
    }),
    ...createBatchRecordActivities({ store: deps.store }),
    ...createOutputActivities({ store: deps.store, outRoot: deps.outDir }),
    ...createScheduledManifestActivities({
      store: deps.store,
      ...(deps.manifestRoot ? { manifestRoot: deps.manifestRoot } : {}),
    }),
    ...createScheduleFiringActivities(),
    ...createNotifyActivities({ keys: deps.callbackKeys, callbackHosts: deps.callbackHosts ?? [] }),
    ...deps.activityOverrides,
  };
  const common = {
    connection: deps.connection,
    namespace: deps.namespace ?? 'default',
    dataConverter: deps.dataConverter ?? payloadDataConverter(),
    maxConcurrentActivityTaskExecutions: deps.maxConcurrentGenerations ?? 32,
    // Cancellation reaches an activity with its heartbeat's response: keep that latency to seconds.
    maxHeartbeatThrottleInterval: '3 seconds',
    // On SIGTERM (a deploy) calls under way get longer than a render to finish before being cancelled.
    shutdownGraceTime: '2 minutes',
  } as const;
  return Promise.all([
    Worker.create({
      ...common,
      taskQueue: deps.taskQueue,
      ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath }),
      activities: others,
      // Workflows hand their spend to the worker, which keeps the per-process sums (worker/metrics.ts).
      sinks: spendSinks(),
    }),
    Worker.create({
      ...common,
      taskQueue: providerTaskQueueFor(deps.taskQueue),
      activities: { requestCandidate },
      // Enforced by the server across every worker polling this queue, not per process.
      ...(deps.providerRpm ? { maxTaskQueueActivitiesPerSecond: (deps.providerRpm / 60) * PLAN_HEADROOM } : {}),
    }),
  ]);
}

export interface ScoringWorkerDeps {
  connection: NativeConnection;
  namespace?: string;
  /** The generation queue this scorer serves. */
  taskQueue: string;
  store: BlobStore;
  model: ClipModelProvider;
  /** OCR for the requested-text check; the caller terminates it after the worker stops. */
  ocr?: OcrPool;
  /** Payload encryption (node/payload-codec.ts); defaults to THUMBGATE_PAYLOAD_KEYS from the environment. */
  dataConverter?: DataConverter;
}

/** The CLIP scoring worker: CPU-bound, so few activities at once, on its own queue. */
export async function createScoringWorker(deps: ScoringWorkerDeps): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace ?? 'default',
    dataConverter: deps.dataConverter ?? payloadDataConverter(),
    taskQueue: scoringTaskQueueFor(deps.taskQueue),
    activities: createScoringActivities({
      store: deps.store,
      model: deps.model,
      ...(deps.ocr ? { ocr: deps.ocr } : {}),
    }),
    ...SCORING_WORKER_OPTIONS,
  });
}
