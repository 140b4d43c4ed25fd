import { loadClipModel, type ClipModel, type LoadOptions } from './clip-model.js';
import type { ClipModelConfig } from './model-config.js';

/**
 * Fetches the model ahead of time into the download cache (`config.cacheDir`), where offline workers
 * (THUMBGATE_ALLOW_REMOTE_MODELS=false) find it. Loading is the check: a pull that returns has files
 * that load.
 */
export async function pullClipModel(config: ClipModelConfig, options: LoadOptions = {}): Promise<ClipModel> {
  return loadClipModel({ ...config, allowRemote: true }, options);
}
