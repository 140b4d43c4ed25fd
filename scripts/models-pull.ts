/**
 * `npm run models:pull [-- --model ID --model-dir DIR --cache-dir DIR]`: downloads the CLIP model
 * into the download cache ahead of time, so workers can run offline (THUMBGATE_ALLOW_REMOTE_MODELS=false).
 * Defaults come from the same environment variables the worker reads.
 */
import { parseArgs } from 'node:util';
import {
  clipModelConfigFromEnv,
  pullClipModel,
  requiredModelFiles,
  searchModelFolders,
  terminalProgress,
} from '../activities/scoring/index.js';
import { RANDOM_WEIGHTS_NOTICE } from '../shared/scoring.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    'model-dir': { type: 'string' },
    'cache-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log('usage: npm run models:pull -- [--model ID] [--model-dir DIR] [--cache-dir DIR]');
  process.exit(0);
}

const config = clipModelConfigFromEnv(process.env, {
  modelId: values.model,
  modelDir: values['model-dir'],
  cacheDir: values['cache-dir'],
});

console.log(`pulling ${config.modelId} (${requiredModelFiles(config).join(', ')}) into ${config.cacheDir}`);
try {
  const model = await pullClipModel(config, { onProgress: terminalProgress(process.stderr) });
  const where = searchModelFolders(config).find((s) => s.missing.length === 0)?.folder ?? config.cacheDir;
  console.log(`ready: ${model.id} in ${where}${model.randomWeights ? ` (${RANDOM_WEIGHTS_NOTICE})` : ''}`);
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 1;
}
