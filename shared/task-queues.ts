/** Task queues, defined once for workers and clients. */

/** Workflows and the I/O-bound provider calls (generation). */
export const GENERATION_TASK_QUEUE = 'thumbgate-generation';

/** The generation queue of THUMBGATE_TASK_QUEUE, else the default: workers and clients read it alike. */
export function taskQueueFromEnv(env: Readonly<Record<string, string | undefined>>): string {
  return env.THUMBGATE_TASK_QUEUE ?? GENERATION_TASK_QUEUE;
}

/**
 * CPU-bound CLIP scoring runs on its own queue so its workers get concurrency suited to CPU
 * work. Derived from the generation queue, so isolated deployments (and tests) that pick
 * another generation queue get a matching scoring queue without further settings.
 */
export function scoringTaskQueueFor(generationQueue: string): string {
  return `${generationQueue}-scoring`;
}

/**
 * Calls that start provider work (and so count against the provider plan's requests per minute) run on
 * their own queue, so Temporal's task-queue rate limit holds every worker process together within it.
 */
export function providerTaskQueueFor(generationQueue: string): string {
  return `${generationQueue}-provider`;
}
