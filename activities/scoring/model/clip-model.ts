import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  AutoProcessor,
  AutoTokenizer,
  CLIPTextModelWithProjection,
  CLIPVisionModelWithProjection,
  Tensor,
  env,
} from '@xenova/transformers';
import { clipPreprocessingFrom, inputSize, type ClipPreprocessing } from '../clip-preprocessing.js';
import { requiredModelFiles, type ClipModelConfig } from './config.js';
import { ClipModelUnavailableError, modelFolders, type ModelSearch } from './errors.js';

/** A loaded CLIP: both towers, the tokenizer and the image transform. Embeddings come L2-normalised. */
export interface ClipModel {
  readonly id: string;
  readonly config: ClipModelConfig;
  /** From `thumbgate_random_weights` in config.json: scores are then not quality judgements. */
  readonly randomWeights: boolean;
  readonly preprocessing: ClipPreprocessing;
  readonly embeddingSize: number;
  /** `pixels` holds `count` CHW images back to back; one forward pass for the whole batch. */
  embedImages(pixels: Float32Array, count: number): Promise<Float32Array[]>;
  /** Cached per text for the life of the model. */
  embedText(text: string): Promise<Float32Array>;
}

/** File progress from Transformers.js while loading (downloads report `progress` 0–100). */
export interface LoadProgress {
  status: string;
  file?: string;
  progress?: number;
  loaded?: number;
  total?: number;
}

export interface LoadOptions {
  onProgress?: (p: LoadProgress) => void;
}

/** The part of a Transformers.js output tensor read here (its typings leave outputs untyped). */
interface Embeddings {
  dims: number[];
  data: Float32Array;
}

/** Distinct prompts kept per model; briefs are scored once per candidate batch, so this is plenty. */
const TEXT_CACHE_LIMIT = 2048;

export function l2Normalize(v: ArrayLike<number>): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  const norm = Math.sqrt(sum) || 1;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! / norm;
  return out;
}

/** What each folder the loader searches lacks (empty `missing` = complete). */
export function searchModelFolders(config: ClipModelConfig): ModelSearch[] {
  const files = requiredModelFiles(config);
  return modelFolders(config).map((folder) => ({
    folder,
    missing: files.filter((f) => !existsSync(join(folder, f))),
  }));
}

// Transformers.js keeps its settings in one global `env`; loads are serialised so two configurations
// loading at once cannot see each other's folders.
let loadChain: Promise<unknown> = Promise.resolve();

function serialised<T>(work: () => Promise<T>): Promise<T> {
  const run = loadChain.then(work, work);
  loadChain = run.catch(() => undefined);
  return run;
}

/**
 * Loads the model through Transformers.js from (in its order) the download cache, the local model
 * folder, then — only when allowed — the hub. Throws {@link ClipModelUnavailableError} when it cannot.
 */
export function loadClipModel(config: ClipModelConfig, options: LoadOptions = {}): Promise<ClipModel> {
  return serialised(() => load(config, options));
}

async function load(config: ClipModelConfig, options: LoadOptions): Promise<ClipModel> {
  const searched = searchModelFolders(config);
  const complete = searched.some((s) => s.missing.length === 0);
  if (!complete && !config.allowRemote) throw new ClipModelUnavailableError(config, searched);

  env.allowLocalModels = true;
  env.allowRemoteModels = config.allowRemote;
  env.localModelPath = config.modelDir.endsWith('/') ? config.modelDir : `${config.modelDir}/`;
  env.cacheDir = config.cacheDir;
  env.useFSCache = true;
  const pretrained = {
    quantized: config.quantized,
    cache_dir: config.cacheDir,
    local_files_only: !config.allowRemote,
    ...(options.onProgress ? { progress_callback: options.onProgress } : {}),
  };
  let parts;
  try {
    // One tower after the other: building both ONNX sessions at once holds both files' buffers and
    // both sessions' scratch memory at the same time, which costs ~100 MB of resident memory that
    // the allocator does not give back. Each call gets its own options object: Transformers.js
    // writes the file name into it.
    const vision = await CLIPVisionModelWithProjection.from_pretrained(config.modelId, { ...pretrained });
    const text = await CLIPTextModelWithProjection.from_pretrained(config.modelId, { ...pretrained });
    const [tokenizer, processor] = await Promise.all([
      AutoTokenizer.from_pretrained(config.modelId, { ...pretrained }),
      AutoProcessor.from_pretrained(config.modelId, { ...pretrained }),
    ]);
    parts = [vision, text, tokenizer, processor] as const;
  } catch (err) {
    throw new ClipModelUnavailableError(config, searchModelFolders(config), (err as Error).message);
  }
  const [vision, text, tokenizer, processor] = parts;
  const modelConfig = vision.config as unknown as Record<string, unknown>;
  const embeddingSize = modelConfig.projection_dim;
  if (typeof embeddingSize !== 'number' || !Number.isInteger(embeddingSize) || embeddingSize < 1) {
    // The width the aesthetic head is checked against; guessing it would hide a broken export.
    throw new ClipModelUnavailableError(
      config,
      searchModelFolders(config),
      `config.json has no projection_dim (got ${JSON.stringify(embeddingSize)}): not a CLIP export`
    );
  }
  const preprocessing = clipPreprocessingFrom(
    (processor as unknown as { feature_extractor: { config: Record<string, unknown> } }).feature_extractor.config
  );
  const textConfig = (modelConfig.text_config ?? {}) as Record<string, unknown>;
  const maxTokens = typeof textConfig.max_position_embeddings === 'number' ? textConfig.max_position_embeddings : 77;
  const { width, height } = inputSize(preprocessing);
  const textCache = new Map<string, Promise<Float32Array>>();

  async function embedImages(pixels: Float32Array, count: number): Promise<Float32Array[]> {
    if (count === 0) return [];
    const dims = [count, 3, height, width];
    if (pixels.length !== count * 3 * height * width) {
      throw new RangeError(`pixels has ${pixels.length} values, expected ${dims.join('x')}`);
    }
    const output = (await vision({ pixel_values: new Tensor('float32', pixels, dims) })) as {
      image_embeds: Embeddings;
    };
    const size = output.image_embeds.dims[1]!;
    const data = output.image_embeds.data;
    return Array.from({ length: count }, (_, i) => l2Normalize(data.subarray(i * size, (i + 1) * size)));
  }

  async function encodeText(prompt: string): Promise<Float32Array> {
    const encoded = tokenizer(prompt) as { input_ids: { data: BigInt64Array } };
    let ids = Array.from(encoded.input_ids.data);
    // Long prompts keep their first tokens and the end-of-text token the text tower pools at.
    if (ids.length > maxTokens) ids = [...ids.slice(0, maxTokens - 1), ids[ids.length - 1]!];
    const input_ids = new Tensor('int64', BigInt64Array.from(ids), [1, ids.length]);
    // Exports differ on whether the text tower takes a mask; Transformers.js feeds only what the
    // session declares, so passing one is harmless where it is not an input.
    const attention_mask = new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
    const output = (await text({ input_ids, attention_mask })) as { text_embeds: Embeddings };
    return l2Normalize(output.text_embeds.data);
  }

  function embedText(prompt: string): Promise<Float32Array> {
    let cached = textCache.get(prompt);
    if (!cached) {
      if (textCache.size >= TEXT_CACHE_LIMIT) textCache.delete(textCache.keys().next().value as string);
      cached = encodeText(prompt);
      cached.catch(() => textCache.delete(prompt));
      textCache.set(prompt, cached);
    }
    return cached;
  }

  return {
    id: config.modelId,
    config,
    randomWeights: modelConfig.thumbgate_random_weights === true,
    preprocessing,
    embeddingSize,
    embedImages,
    embedText,
  };
}
