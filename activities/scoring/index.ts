/** The CLIP quality gate: see docs/scoring.md for the formula, configuration and limits. */
export { DEFAULT_AESTHETIC_PROMPTS } from './aesthetic.js';
export { loadClipModel, searchModelFolders } from './clip-model.js';
export { decodeImage, ImageRejectedError } from './decode-image.js';
export { terminalProgress } from './load-progress.js';
export { TINY_CLIP_MODEL, clipModelConfigFromEnv, requiredModelFiles, type ClipModelConfig } from './model-config.js';
export { ClipModelProvider, sharedClipModelProvider } from './model-provider.js';
export { pullClipModel } from './pull-model.js';
export { createScoringActivities } from './score-candidates.js';
export { scoreImages, type EncodedImage } from './score-images.js';
export { DEFAULT_TECHNICAL_WEIGHTS, technicalQuality } from './technical-quality.js';
export { SCORING_WORKER_OPTIONS } from './worker-options.js';
