import { AutoProcessor, RawImage, env } from '@xenova/transformers';
import { clipPixelCount, writeClipPixels } from '../../activities/scoring/clip-pixels.js';
import { clipPreprocessingFrom } from '../../activities/scoring/clip-preprocessing.js';
import { decodeImage } from '../../activities/scoring/decode-image.js';
import { HEIGHT, WIDTH, smoothPng } from './fixtures.js';
import { tinyModelConfig } from './tiny-model.js';

type Processor = { feature_extractor: { config: Record<string, unknown>; size: unknown } };

/**
 * Transformers.js 2.17.2 reads CLIP's integer `size: 224` as "longest edge 224" and pads the crop,
 * which letterboxes a 16:9 thumbnail; CLIP (and Hugging Face's Python processor) resize the shortest
 * edge. The reference is therefore the Transformers.js processor told `shortest_edge` explicitly.
 * Its bicubic is an affine interpolation without antialiasing (ours, like PIL's, filters when
 * shrinking), so the image is smooth: the comparison checks layout, crop and normalisation.
 */
test("the CLIP input decoded straight to the resize size matches Transformers.js's processor (shortest edge)", async () => {
  const config = tinyModelConfig();
  env.localModelPath = `${config.modelDir}/`;
  env.allowRemoteModels = false;
  const processor = await AutoProcessor.from_pretrained('tiny-clip');
  const p = clipPreprocessingFrom((processor as unknown as Processor).feature_extractor.config);
  (processor as unknown as Processor).feature_extractor.size = { shortest_edge: p.shortestEdge };
  const bytes = await smoothPng();
  const reference = (await processor(await RawImage.fromBlob(new Blob([bytes])))) as {
    pixel_values: { dims: number[]; data: Float32Array };
  };

  const ours = new Float32Array(clipPixelCount(p));
  writeClipPixels(await decodeImage(bytes, p, { width: WIDTH, height: HEIGHT }), p, ours, 0);

  expect(reference.pixel_values.dims).toEqual([1, 3, 224, 224]);
  let sum = 0;
  for (let i = 0; i < ours.length; i++) sum += Math.abs(ours[i]! - reference.pixel_values.data[i]!);
  // Normalised units: 0.01 is about 0.7 of one 8-bit level.
  expect(sum / ours.length).toBeLessThan(0.01);
});
