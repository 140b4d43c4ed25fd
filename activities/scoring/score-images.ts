import {
  aestheticFromRating,
  alignmentFromCosine,
  combineScore,
  LAION_RATING_CURVE,
  type AestheticInfo,
  type CandidateScore,
  type ScoreCandidatesResult,
  type ScoreWeights,
  type TechnicalQuality,
  type TextCheck,
} from '../../shared/scoring.js';
import { antonymProbability, checkAestheticPrompts, dot, type AntonymPair } from './aesthetic.js';
import type { ClipModel } from './model/clip-model.js';
import { clipPixelCount, writeClipPixels } from './clip-pixels.js';
import { checkImageHeader, decodePixels, type ImageHeader } from './decode-image.js';
import { applyAestheticHead, checkHeadBinding, type AestheticHead } from './laion-head.js';
import type { OcrPool } from './ocr-pool.js';
import { technicalQuality, type TechnicalWeights } from './technical-quality.js';
import { textFidelityFor } from './text-check.js';

export interface EncodedImage {
  bytes: Uint8Array;
  sha256: string;
}

export interface ScoringOptions {
  weights: ScoreWeights;
  /** The CLIP-IQA pairs; used only when there is no `aestheticHead`. */
  aestheticPrompts: readonly AntonymPair[];
  technicalWeights: TechnicalWeights;
  /**
   * The LAION head, when it makes the aesthetic component (the activity's default); without it the
   * component is CLIP-IQA with `aestheticPrompts`. A head not bound to `model` throws
   * AestheticHeadMismatchError before anything is scored.
   */
  aestheticHead?: AestheticHead;
  /** OCR for the requested-text check; without it the text component is not measured. */
  ocr?: Pick<OcrPool, 'recognize'>;
  /** Aborts the call (the activity was cancelled): OCR still waiting for its images is dropped. */
  signal?: AbortSignal;
}

/**
 * Images per forward pass of the vision tower: every candidate of a thumbnail (at most 8) in one
 * pass, so a thumbnail's scores do not depend on how it was split (the int8 model quantises each
 * pass's activations with one scale). Smaller passes would let more decoding overlap inference, but
 * on two cores ONNX Runtime already keeps both busy during a pass, and splitting 8 into 4 + 4 measured
 * no faster (bench/RESULTS.md, "Measured and not adopted"). Longer calls are split, which bounds memory.
 */
const PASS_SIZE = 8;

/** `count` indices split into runs of at most PASS_SIZE, as even as possible (9 → 5 + 4). */
function passes(count: number): number[][] {
  const n = Math.ceil(count / PASS_SIZE);
  return Array.from({ length: n }, (_, k) => {
    const from = Math.round((k * count) / n);
    return Array.from({ length: Math.round(((k + 1) * count) / n) - from }, (_, i) => from + i);
  });
}

/** Lets a promise that may be abandoned (the scoring failed elsewhere) reject without crashing the process. */
function settledLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/**
 * Scores the images of one thumbnail against its prompt. Every header is checked first (a foreign or
 * wrong-size file fails before any pixels are decoded); then each image is decoded once, straight to
 * the CLIP resize size, and both its CLIP input and its pixel statistics are made from that decode.
 * The vision tower runs the images in passes of up to PASS_SIZE, pipelined: ONNX Runtime blocks the
 * main thread while a pass runs, so the next pass's decoding is queued on libuv threads just before
 * it and proceeds meanwhile. OCR, when the prompt quotes text, reads the encoded bytes in tesseract's
 * threads from the start. Results are in input order.
 * Temporal-free, so the benchmark measures exactly what the activity runs.
 */
export async function scoreImages(
  model: ClipModel,
  prompt: string,
  images: readonly EncodedImage[],
  expected: { width: number; height: number } | undefined,
  options: ScoringOptions
): Promise<ScoreCandidatesResult> {
  const head = options.aestheticHead;
  if (head) checkHeadBinding(head, model);
  else checkAestheticPrompts(options.aestheticPrompts);
  const prompts = head ? [] : options.aestheticPrompts;
  const labels = images.map((img, i) => `image ${i} (sha256 ${img.sha256.slice(0, 12)})`);
  const headers = await Promise.all(images.map((img, i) => checkImageHeader(img.bytes, expected, labels[i]!)));
  const abandon = new AbortController();
  const signal = options.signal ? AbortSignal.any([abandon.signal, options.signal]) : abandon.signal;
  const { imageEmbeds, promptEmbed, pairEmbeds, techs, checks } = await measure(
    model,
    prompt,
    images,
    headers,
    labels,
    { ocr: options.ocr, technicalWeights: options.technicalWeights, prompts },
    signal
  ).catch((err: unknown) => {
    // This call has failed: OCR still waiting for its images is dropped rather than run for nothing.
    abandon.abort();
    throw err;
  });
  const scores: CandidateScore[] = imageEmbeds.map((embed, index) => {
    const alignment = alignmentFromCosine(dot(embed, promptEmbed));
    const rating = head ? applyAestheticHead(head, embed) : undefined;
    const aesthetic =
      rating !== undefined
        ? aestheticFromRating(rating)
        : pairEmbeds.reduce((sum, [p, n]) => sum + antonymProbability(embed, p, n), 0) / pairEmbeds.length;
    const tech = techs[index]!;
    const text = checks[index];
    const components = {
      aesthetic,
      alignment: alignment.normalized,
      technical: tech.score,
      ...(text?.measured ? { text: text.fidelity } : {}),
    };
    return {
      index,
      sha256: images[index]!.sha256,
      score: combineScore(components, options.weights),
      aesthetic,
      ...(rating !== undefined ? { aestheticRating: rating } : {}),
      alignment,
      technical: tech,
      ...(text ? { text } : {}),
      randomWeights: model.randomWeights,
    };
  });
  return {
    scorer: {
      modelId: model.id,
      randomWeights: model.randomWeights,
      weights: options.weights,
      aestheticPrompts: prompts.map(([p, n]) => [p, n]),
      aesthetic: aestheticInfo(head),
    },
    scores,
  };
}

/** The pipelined part of {@link scoreImages}: embeddings, statistics and text checks, in input order. */
async function measure(
  model: ClipModel,
  prompt: string,
  images: readonly EncodedImage[],
  headers: readonly ImageHeader[],
  labels: readonly string[],
  {
    ocr,
    technicalWeights,
    prompts,
  }: Pick<ScoringOptions, 'ocr' | 'technicalWeights'> & { prompts: readonly AntonymPair[] },
  signal: AbortSignal
) {
  // OCR is the slowest part when text is asked for (~70 ms an image): it reads the encoded bytes, so
  // it starts at once and runs in tesseract's threads beside everything else.
  const checks = settledLater(
    Promise.all(
      images.map((image) =>
        ocr ? textFidelityFor(prompt, image.bytes, ocr, signal) : Promise.resolve<TextCheck | undefined>(undefined)
      )
    )
  );
  const decode = (pass: number[]) =>
    settledLater(
      Promise.all(pass.map((i) => decodePixels(images[i]!.bytes, headers[i]!, model.preprocessing, labels[i]!)))
    );
  const order = passes(images.length);
  let decoding = decode(order[0] ?? []);
  // Text embeddings come from the cache after the first call; a first call's text pass runs while
  // the first images decode.
  const textEmbeds = settledLater(
    Promise.all([
      model.embedText(prompt),
      Promise.all(prompts.map(([p, n]) => Promise.all([model.embedText(p), model.embedText(n)]))),
    ])
  );
  const per = clipPixelCount(model.preprocessing);
  const techs: TechnicalQuality[] = [];
  const imageEmbeds: Float32Array[] = [];
  for (const [k, pass] of order.entries()) {
    const decoded = await decoding;
    // Queued before the pass blocks the main thread, so the next pass decodes on libuv threads
    // during inference.
    if (k + 1 < order.length) decoding = decode(order[k + 1]!);
    const pixels = new Float32Array(per * pass.length);
    for (const [j, image] of decoded.entries()) {
      writeClipPixels(image, model.preprocessing, pixels, j * per);
      techs[pass[j]!] = technicalQuality(image, technicalWeights);
    }
    imageEmbeds.push(...(await model.embedImages(pixels, pass.length)));
  }
  const [[promptEmbed, pairEmbeds], texts] = await Promise.all([textEmbeds, checks]);
  return { imageEmbeds, promptEmbed, pairEmbeds, techs, checks: texts };
}

function aestheticInfo(head: AestheticHead | undefined): AestheticInfo {
  if (!head) return { method: 'clip-iqa' };
  const { centre, scale } = LAION_RATING_CURVE;
  return {
    method: 'laion',
    head: head.name,
    clipModel: head.clipModels[0]!,
    curve: `1 / (1 + exp(-(rating - ${centre}) / ${scale}))`,
  };
}
