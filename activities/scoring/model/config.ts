import { join, resolve } from 'node:path';
import { projectRoot } from '../../../node/paths.js';
import { withoutUndefined } from '../../../shared/validation.js';

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
  /**
   * The hub revision (a commit) to download. Unset: the revision pinned in {@link PINNED_CLIP_MODELS} for
   * a pinned model, `main` otherwise; anything but the pin is trusted on first use (model-integrity.ts).
   */
  revision?: string;
  /** Where downloads come from (a Hugging Face hub or a mirror of it); default {@link DEFAULT_MODEL_HUB}. */
  hubUrl?: string;
}

/** A hub revision and the sha256 of every file the loader may need from it. */
export interface ModelPin {
  revision: string;
  sha256: Readonly<Record<string, string>>;
}

/**
 * Models downloaded only at a fixed commit, each file checked against its sha256 before it is accepted:
 * a re-uploaded or tampered file on the hub (or anywhere in between) cannot become the model that scores.
 * The hashes are the hub's LFS object ids (sha256 of the content) at that commit. Changing the pin is a
 * code change, reviewed like one; THUMBGATE_CLIP_REVISION opts out into trust on first use.
 */
export const PINNED_CLIP_MODELS: Readonly<Record<string, ModelPin>> = {
  'Xenova/clip-vit-base-patch32': {
    revision: 'd15189d7028b43f1d3e65039190477f6af591c2a',
    sha256: {
      'config.json': '493ef57ff783e42d1530c91b53469b7fdf8db8a9c1408e86998fcb7899a4f495',
      'preprocessor_config.json': '6f638fb9401a6d6296feff533ee7efe657b787c49f954f82f5906b36ef2a1b1f',
      'tokenizer.json': 'f7f3b7af117d467b58374797691a6438d3e6b9e9cef800dfd5dced7f697a90cd',
      'tokenizer_config.json': '60ba2912bc6344c94bc16bbdec27fa1209409167b6f2fdf3cfe9e65462ea3967',
      'onnx/vision_model_quantized.onnx': '583fd1110a514667812fee7d684952aaf82a99b959760c8d7dca7e0ab9839299',
      'onnx/text_model_quantized.onnx': '73baab855d406190da9faa498cfedf65f15cf309f4cc7385b7b032e6d08e5c3a',
      'onnx/vision_model.onnx': 'fd6e1402a588279d1723c7534d4bcba5bc0b14b47dfab0e46f8c47b8270d7d40',
      'onnx/text_model.onnx': '3f6571f5bad13a97c469c1622e1cfc4d9aef78b79fdbfcff804ca357bfada8cc',
    },
  },
};

export const DEFAULT_MODEL_HUB = 'https://huggingface.co';

export const DEFAULT_CLIP_MODEL = 'Xenova/clip-vit-base-patch32';

/** The committed random-weight test model, under `models/` (see scripts/make-clip-model.py). */
export const TINY_CLIP_MODEL = 'tiny-clip';

export const DEFAULT_MODEL_DIR = join(projectRoot, 'models');
export const DEFAULT_MODEL_CACHE = join(projectRoot, '.cache', 'models');

/** Environment variables read by {@link clipModelConfigFromEnv}; documented in docs/model-loading.md. */
export const CLIP_ENV = {
  model: 'THUMBGATE_CLIP_MODEL',
  modelDir: 'THUMBGATE_MODEL_DIR',
  cacheDir: 'THUMBGATE_MODEL_CACHE',
  allowRemote: 'THUMBGATE_ALLOW_REMOTE_MODELS',
  quantized: 'THUMBGATE_CLIP_QUANTIZED',
  revision: 'THUMBGATE_CLIP_REVISION',
  hubUrl: 'THUMBGATE_MODEL_HUB',
} as const;

function parseBoolean(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value.trim() === '') return fallback;
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new RangeError(`${name} must be true or false (or 1/0, yes/no, on/off), got ${JSON.stringify(value)}`);
}

function hubUrl(value: string | undefined): string | undefined {
  const raw = value?.trim();
  if (!raw) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'https:' && url?.protocol !== 'http:') {
    throw new RangeError(
      `${CLIP_ENV.hubUrl} must be the http(s) URL of a Hugging Face hub or mirror (default ${DEFAULT_MODEL_HUB}), ` +
        `got ${JSON.stringify(value)}`
    );
  }
  return raw.replace(/\/+$/, '');
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
    revision: env[CLIP_ENV.revision]?.trim() || undefined,
    hubUrl: hubUrl(env[CLIP_ENV.hubUrl]),
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
