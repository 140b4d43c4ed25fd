import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TINY_CLIP_MODEL, clipModelConfigFromEnv, type ClipModelConfig } from '../../activities/scoring/index.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

/** The committed random-weight model, loaded through the real path with downloads disabled. */
export function tinyModelConfig(overrides: Partial<ClipModelConfig> = {}): ClipModelConfig {
  return clipModelConfigFromEnv(
    {},
    {
      modelId: TINY_CLIP_MODEL,
      modelDir: join(repo, 'models'),
      // A cache folder that never exists, so only the committed files are used.
      cacheDir: join(repo, '.cache', 'test-models-none'),
      allowRemote: false,
      ...overrides,
    }
  );
}
