/** The CLIP quality gate: see docs/scoring.md for the formula, configuration and limits. */
export { DEFAULT_AESTHETIC_PROMPTS, type AntonymPair } from './aesthetic.js';
export {
  loadClipModel,
  searchModelFolders,
  type ClipModel,
  type LoadOptions,
  type LoadProgress,
} from './clip-model.js';
export { decodeImage, ImageRejectedError, type DecodedImage } from './decode-image.js';
export { terminalProgress } from './load-progress.js';
export {
  CLIP_ENV,
  DEFAULT_CLIP_MODEL,
  DEFAULT_MODEL_CACHE,
  DEFAULT_MODEL_DIR,
  TINY_CLIP_MODEL,
  clipModelConfigFromEnv,
  requiredModelFiles,
  type ClipModelConfig,
} from './model-config.js';
export { ClipModelUnavailableError } from './model-errors.js';
export { ClipModelProvider, sharedClipModelProvider, type ClipModelLoader } from './model-provider.js';
export { pullClipModel } from './pull-model.js';
export { createScoringActivities, SCORING_FAILURES, type ScoringDeps } from './score-candidates.js';
export { scoreImages, type EncodedImage, type ScoringOptions } from './score-images.js';
export { DEFAULT_TECHNICAL_WEIGHTS, technicalQuality, type TechnicalWeights } from './technical-quality.js';
export { SCORING_WORKER_OPTIONS } from './worker-options.js';
