// Registered with the worker by path: workflow code is bundled and run in an isolated context.
export { batchWorkflow } from './batch.js';
export { scheduledBatchWorkflow } from './scheduled-batch.js';
export { thumbnailWorkflow } from './thumbnail.js';
