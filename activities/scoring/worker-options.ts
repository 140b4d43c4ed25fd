import type { WorkerOptions } from '@temporalio/worker';

/**
 * Options for the worker on the scoring task queue. ONNX Runtime already spreads one forward pass
 * over every core, so running many scorings at once only makes each slower; two lets one batch's
 * decoding (sharp, on libuv threads) overlap the other's inference. Memory stays bounded: at most
 * two batches of 8 images decoded at the scoring size (398×224, ~2 MB) beside one model.
 */
export const SCORING_WORKER_OPTIONS = {
  maxConcurrentActivityTaskExecutions: 2,
} as const satisfies Partial<WorkerOptions>;
