import { AutoProcessor, RawImage, env } from '@xenova/transformers';
import { clipPixelCount, writeClipPixels } from '../../activities/scoring/clip-pixels.js';
import { clipPreprocessingFrom, resizedSize } from '../../activities/scoring/clip-preprocessing.js';
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

test("the resize size before the crop is Transformers.js's, for every aspect the providers return", async () => {
  const config = tinyModelConfig();
  env.localModelPath = `${config.modelDir}/`;
  env.allowRemoteModels = false;
  const processor = (await AutoProcessor.from_pretrained('tiny-clip')) as unknown as {
    feature_extractor: Processor['feature_extractor'] & {
      get_resize_output_image_size(image: { size: [number, number] }, size: unknown): [number, number];
    };
  };
  const p = clipPreprocessingFrom(processor.feature_extractor.config);
  // 16:9, 21:9 (1568×672 and 3136×1344: 522.67 and 522.67 wide), 4:3, 1:1, portrait 9:16 and 2:3.
  const sizes: [number, number][] = [
    [1280, 720],
    [1568, 672],
    [3136, 1344],
    [1024, 768],
    [1024, 1024],
    [720, 1280],
    [832, 1248],
  ];
  for (const [width, height] of sizes) {
    const [w, h] = processor.feature_extractor.get_resize_output_image_size(
      { size: [width, height] },
      { shortest_edge: p.shortestEdge }
    );
    expect(resizedSize(p, width, height)).toEqual({ width: w, height: h });
  }
  expect(resizedSize(p, 1568, 672)).toEqual({ width: 522, height: 224 });
});
