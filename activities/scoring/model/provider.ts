import type { ClipModel, LoadOptions } from './clip-model.js';
import type { ClipModelConfig } from './config.js';
import { loadVerifiedClipModel } from './pull.js';

export type ClipModelLoader = (config: ClipModelConfig, options?: LoadOptions) => Promise<ClipModel>;

/**
 * Loads the model lazily, once: concurrent first calls share one load. A failed load is forgotten so
 * the next activity attempt tries again (e.g. after an operator copied the files in). The default
 * loader checks the files' sha256 against their pin or lock before loading them (model-integrity.ts).
 */
export class ClipModelProvider {
  private pending?: Promise<ClipModel>;

  constructor(
    readonly config: ClipModelConfig,
    private readonly loader: ClipModelLoader = loadVerifiedClipModel,
    private readonly options: LoadOptions = {}
  ) {}

  get(): Promise<ClipModel> {
    if (!this.pending) {
      const loading = this.loader(this.config, this.options);
      this.pending = loading;
      loading.catch(() => {
        if (this.pending === loading) this.pending = undefined;
      });
    }
    return this.pending;
  }
}

const perProcess = new Map<string, ClipModelProvider>();

/**
 * The provider for a configuration, one per process: activity factories built more than once (one
 * per worker, tests) still share one model in memory.
 */
export function sharedClipModelProvider(config: ClipModelConfig, options: LoadOptions = {}): ClipModelProvider {
  const key = JSON.stringify(config);
  let provider = perProcess.get(key);
  if (!provider) {
    provider = new ClipModelProvider(config, loadVerifiedClipModel, options);
    perProcess.set(key, provider);
  }
  return provider;
}
