import { parseArgs } from 'node:util';
import {
  clipModelConfigFromEnv,
  pullClipModel,
  requiredModelFiles,
  searchModelFolders,
  terminalProgress,
} from '../../activities/scoring/index.js';
import { RANDOM_WEIGHTS_NOTICE } from '../../shared/scoring.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import type { Output } from '../output.js';

export const modelsUsage = 'thumbgate models pull [--model ID] [--model-dir DIR] [--cache-dir DIR] [--json]';

/**
 * `models pull`: downloads the CLIP model into the cache ahead of time, so scoring workers can run
 * offline (THUMBGATE_ALLOW_REMOTE_MODELS=false). Defaults are the worker's environment variables.
 */
export async function models(argv: string[], out: Output): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      'model-dir': { type: 'string' },
      'cache-dir': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (positionals[0] !== 'pull') throw new CliError(EXIT.invalidInput, `usage: ${modelsUsage}`);
  const config = clipModelConfigFromEnv(process.env, {
    modelId: values.model,
    modelDir: values['model-dir'],
    cacheDir: values['cache-dir'],
  });
  out.note(`pulling ${config.modelId} (${requiredModelFiles(config).join(', ')}) into ${config.cacheDir}`);
  const model = await pullClipModel(config, { onProgress: terminalProgress(process.stderr) });
  const folder = searchModelFolders(config).find((s) => s.missing.length === 0)?.folder ?? config.cacheDir;
  out.result(
    { model: model.id, folder, randomWeights: model.randomWeights },
    () => `ready: ${model.id} in ${folder}${model.randomWeights ? ` (${RANDOM_WEIGHTS_NOTICE})` : ''}`
  );
  return EXIT.ok;
}
