import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createBatchRecordActivities } from '../activities/batch-records.js';
import type { BlobStore } from '../common/blob-store.js';
import { createGenerateActivities, type ImageProvider } from '../activities/generate-candidate.js';
import { createOutputActivities } from '../activities/outputs/index.js';
import {
  SCORING_WORKER_OPTIONS,
  createScoringActivities,
  type ClipModelProvider,
} from '../activities/scoring/index.js';
import type { RetryDelays } from '../shared/retry.js';
import { scoringTaskQueueFor } from '../shared/task-queues.js';
import { workflowsPath } from '../common/paths.js';

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
  /** Back-off between provider attempts; defaults to shared/retry.ts. */
  retryDelays?: RetryDelays;
  /** A pre-built bundle (tests build it once per file); defaults to bundling `workflows/`. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Replacements for some activities (tests register stand-ins here, as the Temporal samples do). */
  activityOverrides?: Partial<GenerationActivities>;
}

type GenerationActivities = ReturnType<typeof createGenerateActivities> &
  ReturnType<typeof createBatchRecordActivities> &
  ReturnType<typeof createOutputActivities>;

/**
 * The generation worker: workflows plus the I/O-bound activities (provider calls, records,
 * outputs). Provider calls are mostly waiting, so many run at once.
 */
export async function createGenerationWorker(deps: WorkerDeps): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace ?? 'default',
    taskQueue: deps.taskQueue,
    ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath }),
    activities: {
      ...createGenerateActivities({ store: deps.store, provider: deps.provider, retryDelays: deps.retryDelays }),
      ...createBatchRecordActivities({ store: deps.store }),
      ...createOutputActivities({ store: deps.store, outRoot: deps.outDir }),
      ...deps.activityOverrides,
    },
    maxConcurrentActivityTaskExecutions: deps.maxConcurrentGenerations ?? 32,
    // Cancellation reaches an activity with its heartbeat's response: keep that latency to seconds.
    maxHeartbeatThrottleInterval: '3 seconds',
  });
}

export interface ScoringWorkerDeps {
  connection: NativeConnection;
  namespace?: string;
  /** The generation queue this scorer serves. */
  taskQueue: string;
  store: BlobStore;
  model: ClipModelProvider;
}

/** The CLIP scoring worker: CPU-bound, so few activities at once, on its own queue. */
export async function createScoringWorker(deps: ScoringWorkerDeps): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace ?? 'default',
    taskQueue: scoringTaskQueueFor(deps.taskQueue),
    activities: createScoringActivities({ store: deps.store, model: deps.model }),
    ...SCORING_WORKER_OPTIONS,
  });
}
