import {
  clipModelConfigFromEnv,
  pullClipModel,
  requiredModelFiles,
  searchModelFolders,
  terminalProgress,
} from '../../activities/scoring/index.js';
import { PINNED_CLIP_MODELS } from '../../activities/scoring/model/config.js';
import { RANDOM_WEIGHTS_NOTICE } from '../../shared/scoring.js';
import { command, jsonFlag, type CommandGroup, type FlagValues, type Flags } from '../command-spec.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { Output } from '../output.js';

const flags = {
  model: {
    type: 'string',
    arg: 'ID',
    description: 'Hugging Face model id (default: THUMBGATE_CLIP_MODEL, else the pinned model)',
  },
  revision: {
    type: 'string',
    arg: 'COMMIT',
    description: 'model revision (default: THUMBGATE_CLIP_REVISION, else the pin)',
  },
  'model-dir': {
    type: 'string',
    arg: 'DIR',
    description: 'a folder that already holds the model files (THUMBGATE_MODEL_DIR)',
  },
  'cache-dir': { type: 'string', arg: 'DIR', description: 'where downloads go (THUMBGATE_MODEL_CACHE)' },
  ...jsonFlag,
} as const satisfies Flags;

const modelsPullCommand = command({
  name: 'models pull',
  summary:
    'Downloads the CLIP model ahead of time (with progress on a TTY) so scoring workers can run offline; every ' +
    "file is checked against its sha256. Defaults are the worker's environment variables (docs/model-loading.md).",
  flags,
  run: models,
});

/**
 * `models pull`: downloads the CLIP model into the cache ahead of time, so scoring workers can run
 * offline (THUMBGATE_ALLOW_REMOTE_MODELS=false). Defaults are the worker's environment variables. Every
 * file is checked against its sha256 (the pin in code, or the lock written by the first pull).
 */
async function models({ values }: { values: FlagValues<typeof flags> }, out: Output): Promise<ExitCode> {
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

export const modelsCommands: CommandGroup = {
  name: 'models',
  summary: 'The CLIP model the scoring workers use.',
  subcommands: [modelsPullCommand],
};
