/**
 * The provider's output sizes. Aspect-ratio models do not make "the ratio at N megapixels" to the
 * pixel: like Black Forest Labs' own endpoints they pick a bucket whose sides are multiples of 32
 * near the model's pixel budget (≈1 MP for flux-1.1-pro / flux-pro, ≈4 MP for ultra), so the
 * delivered ratio can be a few percent off the requested one (16:9 → 1344×768 is 1.75, not 1.78).
 * Width/height models round each side to the nearest multiple of 16 (configurable per model).
 *
 * Deliberately not the client's table: a client that assumes an exact size has to meet this one.
 */
import { PROVIDER_MODELS, type EmulatedModel, type ProviderAspectRatio } from './models.js';

export interface Size {
  width: number;
  height: number;
}

/** Keyed by aspect ratio (`16:9`…); see PROVIDER_ASPECT_RATIOS. */
export type RatioTable = Partial<Record<string, Size>>;

export interface OutputSizeOptions {
  /** Per aspect-ratio model, per ratio: the size delivered. Entries given replace the defaults. */
  aspectRatio?: Partial<Record<string, RatioTable>>;
  /** Per width/height model: sides are rounded to the nearest multiple of this (default 16). */
  pixelMultiple?: Partial<Record<string, number>>;
}

const s = (width: number, height: number): Size => ({ width, height });

/** ≈1 MP buckets, sides multiples of 32 (flux-1.1-pro, flux-pro). */
export const ONE_MP_SIZES: Readonly<Record<ProviderAspectRatio, Size>> = {
  '1:1': s(1024, 1024),
  '16:9': s(1344, 768),
  '9:16': s(768, 1344),
  '4:3': s(1152, 896),
  '3:4': s(896, 1152),
  '3:2': s(1216, 832),
  '2:3': s(832, 1216),
  '4:5': s(896, 1120),
  '5:4': s(1120, 896),
  '21:9': s(1568, 672),
  '9:21': s(672, 1568),
};

/** ≈4 MP buckets, sides multiples of 32 (flux-1.1-pro-ultra). */
export const FOUR_MP_SIZES: Readonly<Record<ProviderAspectRatio, Size>> = {
  '1:1': s(2048, 2048),
  '16:9': s(2752, 1536),
  '9:16': s(1536, 2752),
  '4:3': s(2368, 1792),
  '3:4': s(1792, 2368),
  '3:2': s(2496, 1664),
  '2:3': s(1664, 2496),
  '4:5': s(1824, 2272),
  '5:4': s(2272, 1824),
  '21:9': s(3136, 1344),
  '9:21': s(1344, 3136),
};

export const DEFAULT_OUTPUT_SIZES: Required<OutputSizeOptions> = {
  aspectRatio: { 'flux-1.1-pro': ONE_MP_SIZES, 'flux-pro': ONE_MP_SIZES, 'flux-1.1-pro-ultra': FOUR_MP_SIZES },
  pixelMultiple: { 'flux-schnell': 16, 'flux-dev': 16 },
};

export class SizeTable {
  private readonly ratios: Partial<Record<string, RatioTable>>;
  private readonly multiples: Partial<Record<string, number>>;

  constructor(options: OutputSizeOptions = {}) {
    this.ratios = {};
    for (const model of Object.keys({ ...DEFAULT_OUTPUT_SIZES.aspectRatio, ...options.aspectRatio })) {
      this.ratios[model] = { ...DEFAULT_OUTPUT_SIZES.aspectRatio[model], ...options.aspectRatio?.[model] };
    }
    this.multiples = { ...DEFAULT_OUTPUT_SIZES.pixelMultiple, ...options.pixelMultiple };
    for (const [model, m] of Object.entries(this.multiples)) {
      if (!Number.isInteger(m) || (m as number) < 1)
        throw new RangeError(`outputSizes.pixelMultiple.${model} must be a positive integer`);
    }
  }

  /** The size a valid body to `model` produces. */
  sizeFor(model: EmulatedModel, body: Record<string, unknown>): Size {
    const spec = PROVIDER_MODELS[model].size;
    if (spec.kind === 'pixels') {
      const m = this.multiples[model] ?? 16;
      const side = (value: unknown, fallback: number): number => {
        const raw = typeof value === 'number' ? value : fallback;
        const rounded = Math.round(raw / m) * m;
        // Stay inside the model's range (rounding 2047 up by 32 would leave it).
        return Math.min(Math.floor(spec.max / m) * m, Math.max(Math.ceil(spec.min / m) * m, rounded));
      };
      return { width: side(body.width, spec.defaultWidth), height: side(body.height, spec.defaultHeight) };
    }
    const ratio = typeof body.aspect_ratio === 'string' ? body.aspect_ratio : spec.defaultRatio;
    const size = this.ratios[model]?.[ratio];
    if (size) return { ...size };
    // A ratio accepted but missing from a custom table: fall back to ≈1 MP, multiples of 32.
    const [w, h] = ratio.split(':').map(Number) as [number, number];
    const r32 = (x: number): number => Math.max(32, Math.round(x / 32) * 32);
    return { width: r32(Math.sqrt((1024 * 1024 * w) / h)), height: r32(Math.sqrt((1024 * 1024 * h) / w)) };
  }
}
