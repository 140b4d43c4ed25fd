/** The CLIP quality gate: docs/scoring.md (formula and limits), docs/model-loading.md (configuration). */
export { DEFAULT_AESTHETIC_PROMPTS, aestheticMethodFromEnv } from './aesthetic.js';
export { loadClipModel, searchModelFolders, type ClipModel } from './model/clip-model.js';
export { decodeImage, ImageRejectedError } from './decode-image.js';
export {
  AestheticHeadMismatchError,
  DEFAULT_AESTHETIC_HEAD_DIR,
  applyAestheticHead,
  headBindingProblem,
  loadAestheticHead,
} from './laion-head.js';
export { terminalProgress } from './model/load-progress.js';
export { TINY_CLIP_MODEL, clipModelConfigFromEnv, requiredModelFiles, type ClipModelConfig } from './model/config.js';
export { ClipModelProvider, sharedClipModelProvider } from './model/provider.js';
export { createOcrPool, type OcrPool } from './ocr-pool.js';
export { pullClipModel } from './model/pull.js';
export { createScoringActivities } from './score-candidates.js';
export { scoreImages, type EncodedImage } from './score-images.js';
export { DEFAULT_TECHNICAL_WEIGHTS, technicalQuality } from './technical-quality.js';
export { SCORING_WORKER_OPTIONS } from './worker-options.js';
