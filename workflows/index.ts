// Registered with the worker by path: workflow code is bundled and run in an isolated context.
export { batchWorkflow } from './batch.js';
export { thumbnailWorkflow } from './thumbnail.js';
