/**
 * The CLIP input transform, read from a model's preprocessor_config.json so the real model and the
 * generated ones share one code path: shortest edge → `shortestEdge` (bicubic), centre crop, ×1/255,
 * (x − mean) / std, channels first.
 */
export interface ClipPreprocessing {
  doResize: boolean;
  shortestEdge: number;
  doCenterCrop: boolean;
  crop: { width: number; height: number };
  rescaleFactor: number;
  doNormalize: boolean;
  mean: [number, number, number];
  std: [number, number, number];
}

type Json = Record<string, unknown>;

function sizeOf(value: unknown, what: string): { width: number; height: number } {
  if (typeof value === 'number') return { width: value, height: value };
  const v = value as Json | undefined;
  if (v && typeof v.width === 'number' && typeof v.height === 'number') return { width: v.width, height: v.height };
  if (v && typeof v.shortest_edge === 'number') return { width: v.shortest_edge, height: v.shortest_edge };
  throw new TypeError(
    `preprocessor_config.json: ${what} must be a number or {width, height}, got ${JSON.stringify(value)}`
  );
}

function triple(value: unknown, what: string): [number, number, number] {
  if (Array.isArray(value) && value.length === 3 && value.every((x) => typeof x === 'number')) {
    return value as [number, number, number];
  }
  throw new TypeError(`preprocessor_config.json: ${what} must be three numbers, got ${JSON.stringify(value)}`);
}

/** Reads the fields Hugging Face's CLIPImageProcessor / CLIPFeatureExtractor configs use. */
export function clipPreprocessingFrom(config: Json): ClipPreprocessing {
  const size = config.size;
  const shortestEdge =
    typeof size === 'number'
      ? size
      : typeof (size as Json | undefined)?.shortest_edge === 'number'
        ? ((size as Json).shortest_edge as number)
        : Math.min(sizeOf(size, 'size').width, sizeOf(size, 'size').height);
  const crop = sizeOf(config.crop_size ?? shortestEdge, 'crop_size');
  return {
    doResize: config.do_resize !== false,
    shortestEdge,
    doCenterCrop: config.do_center_crop !== false,
    crop,
    rescaleFactor: typeof config.rescale_factor === 'number' ? config.rescale_factor : 1 / 255,
    doNormalize: config.do_normalize !== false,
    mean: triple(config.image_mean, 'image_mean'),
    std: triple(config.image_std, 'image_std'),
  };
}

/** The side lengths of the model input (CHW, 3 channels). */
export function inputSize(p: ClipPreprocessing): { width: number; height: number } {
  return p.doCenterCrop ? p.crop : { width: p.shortestEdge, height: p.shortestEdge };
}

/**
 * The size an image of `width`×`height` is resized to before the centre crop: shortest side to
 * `shortestEdge` (never below the crop), or straight to the input size when there is no crop.
 */
export function resizedSize(p: ClipPreprocessing, width: number, height: number): { width: number; height: number } {
  const input = inputSize(p);
  if (!(p.doResize && p.doCenterCrop)) return input;
  const scale = p.shortestEdge / Math.min(width, height);
  // Rounded down like CLIP's own processors (Python's int(), Transformers.js's Math.floor after
  // two decimals, which keeps 223.99999… at 224): a 21:9 1568×672 draft resizes to 522×224, not 523.
  const side = (length: number) => Math.floor(Number((length * scale).toFixed(2)));
  return { width: Math.max(input.width, side(width)), height: Math.max(input.height, side(height)) };
}
