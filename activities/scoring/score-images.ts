import {
  alignmentFromCosine,
  combineScore,
  type CandidateScore,
  type ScoreCandidatesResult,
  type ScoreWeights,
  type TechnicalQuality,
} from '../../shared/scoring.js';
import { antonymProbability, dot, type AntonymPair } from './aesthetic.js';
import type { ClipModel } from './clip-model.js';
import { clipPixelCount, writeClipPixels } from './clip-pixels.js';
import { decodeImage } from './decode-image.js';
import { technicalQuality, type TechnicalWeights } from './technical-quality.js';

export interface EncodedImage {
  bytes: Uint8Array;
  sha256: string;
}

export interface ScoringOptions {
  weights: ScoreWeights;
  aestheticPrompts: readonly AntonymPair[];
  technicalWeights: TechnicalWeights;
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
  const [imageEmbeds, promptEmbed, pairEmbeds] = await Promise.all([
    model.embedImages(pixels, images.length),
    model.embedText(prompt),
    Promise.all(options.aestheticPrompts.map(([p, n]) => Promise.all([model.embedText(p), model.embedText(n)]))),
  ]);
  const scores: CandidateScore[] = imageEmbeds.map((embed, index) => {
    const alignment = alignmentFromCosine(dot(embed, promptEmbed));
    const aesthetic =
      pairEmbeds.length === 0
        ? 0
        : pairEmbeds.reduce((sum, [p, n]) => sum + antonymProbability(embed, p, n), 0) / pairEmbeds.length;
    const tech = technical[index]!;
    return {
      index,
      sha256: images[index]!.sha256,
      score: combineScore({ aesthetic, alignment: alignment.normalized, technical: tech.score }, options.weights),
      aesthetic,
      alignment,
      technical: tech,
      randomWeights: model.randomWeights,
    };
  });
  return {
    scorer: {
      modelId: model.id,
      randomWeights: model.randomWeights,
      weights: options.weights,
      aestheticPrompts: options.aestheticPrompts.map(([p, n]) => [p, n]),
    },
    scores,
  };
}
