/**
 * The LAION aesthetic predictor's linear head (LAION-AI/aesthetic-predictor, MIT): a rating of
 * roughly 1–10 from a CLIP image embedding. The head is bound to the CLIP it was trained on: its
 * config.json names that model and the embedding width, and applying it to any other model is
 * refused with a message, never done silently. Files, source and license: models/laion-aesthetic/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../node/paths.js';
import { AESTHETIC_ENV } from './aesthetic.js';
import { CLIP_ENV } from './model/config.js';

export const DEFAULT_AESTHETIC_HEAD_DIR = join(projectRoot, 'models', 'laion-aesthetic');

export interface AestheticHead {
  /** Human-readable name, from config.json. */
  readonly name: string;
  /** The file the weights were read from. */
  readonly file: string;
  /** Width of the image embedding the head takes. */
  readonly embeddingSize: number;
  /** The CLIP model ids the head was trained on (the first is the canonical one). */
  readonly clipModels: readonly string[];
  /** The project's random-weight models that may stand in for `clipModels` (tests, demo, benchmark). */
  readonly randomWeightStandIns: readonly string[];
  readonly weight: Float64Array;
  readonly bias: number;
}

/** The part of a loaded CLIP the binding check reads. */
export interface HeadTarget {
  id: string;
  embeddingSize: number;
  randomWeights: boolean;
}

/** The head does not belong to the model it was asked to rate (or its files are unusable). */
export class AestheticHeadMismatchError extends Error {
  override name = 'AestheticHeadMismatchError';
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new AestheticHeadMismatchError(
      `cannot read the LAION aesthetic head file ${file}: ${(err as Error).message}`
    );
  }
}

function stringList(value: unknown, what: string, file: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new AestheticHeadMismatchError(`${file}: ${what} must be a list of model ids`);
  }
  return value;
}

/** Reads `config.json` and the weights file it names from `dir`; throws when either is malformed. */
export function loadAestheticHead(dir: string = DEFAULT_AESTHETIC_HEAD_DIR): AestheticHead {
  const configFile = join(dir, 'config.json');
  const config = readJson(configFile);
  const { embeddingSize, weights } = config;
  if (typeof embeddingSize !== 'number' || !Number.isInteger(embeddingSize) || embeddingSize < 1) {
    throw new AestheticHeadMismatchError(`${configFile}: embeddingSize must be a positive integer`);
  }
  if (typeof weights !== 'string') throw new AestheticHeadMismatchError(`${configFile}: weights must name a file`);
  const clipModels = stringList(config.clipModels, 'clipModels', configFile);
  if (clipModels.length === 0) throw new AestheticHeadMismatchError(`${configFile}: clipModels is empty`);
  const file = join(dir, weights);
  const head = readJson(file);
  const weight = head.weight;
  if (!Array.isArray(weight) || weight.length !== embeddingSize || !weight.every((w) => Number.isFinite(w))) {
    throw new AestheticHeadMismatchError(`${file}: weight must hold ${embeddingSize} finite numbers`);
  }
  if (typeof head.bias !== 'number' || !Number.isFinite(head.bias)) {
    throw new AestheticHeadMismatchError(`${file}: bias must be a finite number`);
  }
  return {
    name: typeof config.name === 'string' ? config.name : weights,
    file,
    embeddingSize,
    clipModels,
    randomWeightStandIns: stringList(config.randomWeightStandIns ?? [], 'randomWeightStandIns', configFile),
    weight: Float64Array.from(weight as number[]),
    bias: head.bias,
  };
}

/**
 * Why the head must not rate this model's embeddings, or undefined when it may: the model must be
 * one the head was trained on, or one of the project's random-weight stand-ins (whose config.json
 * says so), and its embeddings must be as wide as the head's input.
 */
export function headBindingProblem(head: AestheticHead, model: HeadTarget): string | undefined {
  const bound = head.clipModels.includes(model.id);
  const standIn = !bound && model.randomWeights && head.randomWeightStandIns.includes(model.id);
  const trained = `the LAION aesthetic head (${head.file}) was trained on ${head.clipModels[0]} (${head.embeddingSize}-value image embeddings)`;
  const refuse = (why: string) =>
    `${trained} and is refused for the configured CLIP "${model.id}": ${why}. Its ratings on another ` +
    `model's embeddings would be meaningless. Either score with ${head.clipModels.join(' or ')} ` +
    `(${CLIP_ENV.model}), or use the CLIP-IQA aesthetic, which works with any CLIP (${AESTHETIC_ENV}=clip-iqa).`;
  if (bound && model.embeddingSize !== head.embeddingSize) {
    // The right name on the wrong files: changing the configured model would not help.
    return (
      `${trained}, but the files loaded as "${model.id}" give ${model.embeddingSize}-value embeddings: they are not ` +
      `that model. Replace the model folder with its Transformers.js export (thumbgate models pull).`
    );
  }
  if (!bound && !standIn) {
    const known = head.randomWeightStandIns.includes(model.id)
      ? 'it is listed as a random-weight stand-in, but its config.json does not say thumbgate_random_weights'
      : 'it is not a model the head was trained on';
    return refuse(known);
  }
  if (model.embeddingSize !== head.embeddingSize) {
    return refuse(`its image embeddings have ${model.embeddingSize} values, not ${head.embeddingSize}`);
  }
  return undefined;
}

/** Throws {@link AestheticHeadMismatchError} when the head must not rate this model's embeddings. */
export function checkHeadBinding(head: AestheticHead, model: HeadTarget): void {
  const problem = headBindingProblem(head, model);
  if (problem) throw new AestheticHeadMismatchError(problem);
}

/**
 * The head's rating of one image embedding: dot(weight, e / |e|) + bias, in float64. The embedding is
 * L2-normalised here (a no-op for the loader's already-normalised embeddings). A wrong width throws.
 */
export function applyAestheticHead(head: AestheticHead, embedding: ArrayLike<number>): number {
  if (embedding.length !== head.embeddingSize) {
    throw new AestheticHeadMismatchError(
      `the LAION aesthetic head takes ${head.embeddingSize}-value embeddings, got ${embedding.length} values`
    );
  }
  let norm = 0;
  let dot = 0;
  for (let i = 0; i < embedding.length; i++) {
    const v = embedding[i]!;
    norm += v * v;
    dot += head.weight[i]! * v;
  }
  return dot / (Math.sqrt(norm) || 1) + head.bias;
}
