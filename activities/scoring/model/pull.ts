import { join } from 'node:path';
import { loadClipModel, searchModelFolders, type ClipModel, type LoadOptions } from './clip-model.js';
import type { ClipModelConfig } from './config.js';
import { ClipModelUnavailableError } from './errors.js';
import { downloadModelFiles, verifyModelFiles } from './integrity.js';

/** True when some folder the loader reads already holds every file. */
function complete(config: ClipModelConfig): boolean {
  return searchModelFolders(config).some((s) => s.missing.length === 0);
}

/** Downloads with the hash checks; a network failure becomes the loader's error (retried when transient). */
async function download(config: ClipModelConfig, options: LoadOptions): Promise<void> {
  try {
    await downloadModelFiles(config, options);
  } catch (err) {
    if (err instanceof ClipModelUnavailableError) throw err;
    throw new ClipModelUnavailableError(config, searchModelFolders(config), (err as Error).message);
  }
}

/**
 * The loader the scoring worker uses: downloads a missing model (when allowed) through the hash-checked
 * path, checks the files against their pin or lock, then loads them with Transformers.js's own
 * downloading off, so no file reaches the model without its check.
 */
export async function loadVerifiedClipModel(config: ClipModelConfig, options: LoadOptions = {}): Promise<ClipModel> {
  if (config.allowRemote && !complete(config)) await download(config, options);
  await verifyModelFiles(config);
  return loadClipModel({ ...config, allowRemote: false }, options);
}

/**
 * Fetches the model ahead of time into the download cache (`config.cacheDir`), where offline workers
 * (THUMBGATE_ALLOW_REMOTE_MODELS=false) find it: files missing or failing their sha256 are downloaded
 * again at the pinned (or locked) revision. A model already complete in the local model folder is not
 * downloaded. Loading is the final check: a pull that returns has files that load.
 */
export async function pullClipModel(config: ClipModelConfig, options: LoadOptions = {}): Promise<ClipModel> {
  const localFolder = join(config.modelDir, config.modelId);
  const local = searchModelFolders(config).find((s) => s.folder === localFolder);
  if (!local || local.missing.length > 0) await download(config, options);
  return loadVerifiedClipModel({ ...config, allowRemote: false }, options);
}
