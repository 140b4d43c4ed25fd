import { parseArgs } from 'node:util';
import {
  clipModelConfigFromEnv,
  pullClipModel,
  requiredModelFiles,
  searchModelFolders,
  terminalProgress,
} from '../../activities/scoring/index.js';
import { PINNED_CLIP_MODELS } from '../../activities/scoring/model/config.js';
import { RANDOM_WEIGHTS_NOTICE } from '../../shared/scoring.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import type { Output } from '../output.js';

export const modelsUsage =
  'thumbgate models pull [--model ID] [--revision COMMIT] [--model-dir DIR] [--cache-dir DIR] [--json]';

/**
 * `models pull`: downloads the CLIP model into the cache ahead of time, so scoring workers can run
 * offline (THUMBGATE_ALLOW_REMOTE_MODELS=false). Defaults are the worker's environment variables. Every
 * file is checked against its sha256 (the pin in code, or the lock written by the first pull).
 */
export async function models(argv: string[], out: Output): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      revision: { type: 'string' },
      'model-dir': { type: 'string' },
      'cache-dir': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (positionals[0] !== 'pull') throw new CliError(EXIT.invalidInput, `usage: ${modelsUsage}`);
  const config = clipModelConfigFromEnv(process.env, {
    modelId: values.model,
    revision: values.revision,
    modelDir: values['model-dir'],
    cacheDir: values['cache-dir'],
  });
  const pin = PINNED_CLIP_MODELS[config.modelId];
  const pinned = pin !== undefined && (config.revision ?? pin.revision) === pin.revision;
  const revision = pinned
    ? `pinned revision ${pin.revision}`
    : `revision ${config.revision ?? 'main'}, locked on first pull`;
  out.note(
    `pulling ${config.modelId} at ${revision} (${requiredModelFiles(config).join(', ')}) into ${config.cacheDir}`
  );
  const model = await pullClipModel(config, { onProgress: terminalProgress(process.stderr) });
  const folder = searchModelFolders(config).find((s) => s.missing.length === 0)?.folder ?? config.cacheDir;
  out.result(
    { model: model.id, folder, randomWeights: model.randomWeights },
    () => `ready: ${model.id} in ${folder}${model.randomWeights ? ` (${RANDOM_WEIGHTS_NOTICE})` : ''}`
  );
  return EXIT.ok;
}
