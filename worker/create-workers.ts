import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createGenerateActivities, type ImageProvider } from '../activities/generate-candidate.js';
import type { BlobStore } from '../activities/blob-store.js';
import { workflowsPath } from './paths.js';

export interface WorkerDeps {
  connection: NativeConnection;
  namespace?: string;
  taskQueue: string;
  store: BlobStore;
  provider: ImageProvider;
  maxConcurrentGenerations?: number;
  /** A pre-built bundle (tests build it once per file); defaults to bundling `workflows/`. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

/**
 * The generation worker: workflows plus the I/O-bound provider activity. Provider calls are
 * mostly waiting, so many run at once.
 */
export async function createGenerationWorker(deps: WorkerDeps): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace ?? 'default',
    taskQueue: deps.taskQueue,
    ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath }),
    activities: createGenerateActivities({ store: deps.store, provider: deps.provider }),
    maxConcurrentActivityTaskExecutions: deps.maxConcurrentGenerations ?? 32,
  });
}
