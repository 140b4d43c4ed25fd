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
} from '../../shared/scoring.js';
import { antonymProbability, dot, type AntonymPair } from './aesthetic.js';
import type { ClipModel } from './clip-model.js';
import { clipPixelCount, writeClipPixels } from './clip-pixels.js';
import { decodeImage } from './decode-image.js';
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
}

/**
 * Scores the images of one thumbnail against its prompt. Each image is decoded once; its CLIP input
 * and its pixel statistics are both made from that decode, and all images go through the vision
 * tower as one batch. Temporal-free, so the benchmark measures exactly what the activity runs.
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
  const prompts = head ? [] : options.aestheticPrompts;
  const decoded = await Promise.all(
    images.map((img, i) => decodeImage(img.bytes, expected, `image ${i} (sha256 ${img.sha256.slice(0, 12)})`))
  );
  const per = clipPixelCount(model.preprocessing);
  const pixels = new Float32Array(per * images.length);
  const technical: TechnicalQuality[] = await Promise.all(
    decoded.map(async (image, i) => {
      const [, quality] = await Promise.all([
        writeClipPixels(image, model.preprocessing, pixels, i * per),
        technicalQuality(image, options.technicalWeights),
      ]);
      return quality;
    })
  );
  const ocr = options.ocr;
  const [imageEmbeds, promptEmbed, pairEmbeds, texts] = await Promise.all([
    model.embedImages(pixels, images.length),
    model.embedText(prompt),
    Promise.all(prompts.map(([p, n]) => Promise.all([model.embedText(p), model.embedText(n)]))),
    // OCR runs in its own worker threads, beside CLIP inference.
    Promise.all(images.map((img) => (ocr ? textFidelityFor(prompt, img.bytes, ocr) : Promise.resolve(undefined)))),
  ]);
  const scores: CandidateScore[] = imageEmbeds.map((embed, index) => {
    const alignment = alignmentFromCosine(dot(embed, promptEmbed));
    const rating = head ? applyAestheticHead(head, embed) : undefined;
    const aesthetic =
      rating !== undefined
        ? aestheticFromRating(rating)
        : pairEmbeds.length === 0
          ? 0
          : pairEmbeds.reduce((sum, [p, n]) => sum + antonymProbability(embed, p, n), 0) / pairEmbeds.length;
    const tech = technical[index]!;
    const text = texts[index];
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
