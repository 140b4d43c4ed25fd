import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TINY_CLIP_MODEL, clipModelConfigFromEnv, type ClipModelConfig } from '../../activities/scoring/index.js';
import { clipPreprocessingFrom, type ClipPreprocessing } from '../../activities/scoring/clip-preprocessing.js';

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

/** The committed model's image transform (CLIP's: shortest edge 224, centre crop 224), read from its config. */
export function tinyModelPreprocessing(): ClipPreprocessing {
  const file = join(repo, 'models', TINY_CLIP_MODEL, 'preprocessor_config.json');
  return clipPreprocessingFrom(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>);
}
