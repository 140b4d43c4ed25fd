import { join, resolve } from 'node:path';
import { projectRoot } from '../../common/paths.js';
import { withoutUndefined } from '../../shared/validation.js';

/** Where the CLIP model comes from. Filled from the environment, the CLI, or a test. */
export interface ClipModelConfig {
  /** Hub id (`Xenova/clip-vit-base-patch32`) or a folder name under `modelDir` (`tiny-clip`). */
  modelId: string;
  /** Local models: `<modelDir>/<modelId>/config.json`, `.../onnx/vision_model_quantized.onnx`, ... */
  modelDir: string;
  /** Download cache; searched first, and where downloads land. */
  cacheDir: string;
  /** Whether a model missing from both folders may be downloaded from the hub. */
  allowRemote: boolean;
  /** Loads `onnx/*_quantized.onnx` (int8) rather than `onnx/*.onnx` (fp32). */
  quantized: boolean;
}

export const DEFAULT_CLIP_MODEL = 'Xenova/clip-vit-base-patch32';

/** The committed random-weight test model, under `models/` (see scripts/make-clip-model.py). */
export const TINY_CLIP_MODEL = 'tiny-clip';

export const DEFAULT_MODEL_DIR = join(projectRoot, 'models');
export const DEFAULT_MODEL_CACHE = join(projectRoot, '.cache', 'models');

/** Environment variables read by {@link clipModelConfigFromEnv}; documented in docs/scoring.md. */
export const CLIP_ENV = {
  model: 'THUMBGATE_CLIP_MODEL',
  modelDir: 'THUMBGATE_MODEL_DIR',
  cacheDir: 'THUMBGATE_MODEL_CACHE',
  allowRemote: 'THUMBGATE_ALLOW_REMOTE_MODELS',
  quantized: 'THUMBGATE_CLIP_QUANTIZED',
} as const;

function parseBoolean(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value.trim() === '') return fallback;
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new RangeError(`${name} must be true or false (or 1/0, yes/no, on/off), got ${JSON.stringify(value)}`);
}

/**
 * The model configuration from environment variables, then `overrides` (e.g. CLI flags; undefined
 * values are ignored so unset flags keep the environment's value). Relative folders resolve against
 * the current directory.
 */
export function clipModelConfigFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<ClipModelConfig> = {}
): ClipModelConfig {
  const config: ClipModelConfig = {
    modelId: env[CLIP_ENV.model]?.trim() || DEFAULT_CLIP_MODEL,
    modelDir: env[CLIP_ENV.modelDir]?.trim() || DEFAULT_MODEL_DIR,
    cacheDir: env[CLIP_ENV.cacheDir]?.trim() || DEFAULT_MODEL_CACHE,
    allowRemote: parseBoolean(CLIP_ENV.allowRemote, env[CLIP_ENV.allowRemote], true),
    quantized: parseBoolean(CLIP_ENV.quantized, env[CLIP_ENV.quantized], true),
    ...withoutUndefined(overrides),
  };
  return { ...config, modelDir: resolve(config.modelDir), cacheDir: resolve(config.cacheDir) };
}

/** The files a CLIP model folder must hold for this loader. */
export function requiredModelFiles(config: Pick<ClipModelConfig, 'quantized'>): string[] {
  const suffix = config.quantized ? '_quantized' : '';
  return [
    'config.json',
    'preprocessor_config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    `onnx/vision_model${suffix}.onnx`,
    `onnx/text_model${suffix}.onnx`,
  ];
}
