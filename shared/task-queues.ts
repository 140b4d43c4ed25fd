/** Task queues, defined once for workers and clients. */

/** Workflows and the I/O-bound provider calls (generation). */
export const GENERATION_TASK_QUEUE = 'thumbgate-generation';

/** CPU-bound CLIP scoring, on its own queue so it gets concurrency suited to CPU work. */
export const SCORING_TASK_QUEUE = 'thumbgate-scoring';
