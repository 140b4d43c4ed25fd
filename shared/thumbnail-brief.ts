/**
 * One validated thumbnail brief and the pure checks a brief's id and size must pass. Sandbox-safe:
 * the manifest parser (node/manifest) and the batch workflow both use these, so a size the CLI accepts is
 * a size the workflow can send to both the draft and the re-roll model.
 */
import {
  ASPECT_RATIOS,
  PRICE_CARD,
  aspectRatioSize,
  type AspectRatio,
  type FluxModel,
  type ModelSpec,
} from './price-card.js';
import { integerProblem } from './validation.js';
import { shownValue } from './shown-text.js';

export type MetadataValue = string | number | boolean | null;

export interface ThumbnailBrief {
  /** Unique within a batch ignoring case; becomes a file name, so it must pass {@link thumbnailIdProblem}. */
  id: string;
  prompt: string;
  width: number;
  height: number;
  /** Passed through untouched (channel, publishAt, ...) so downstream tools can route the result. */
  metadata?: Record<string, MetadataValue>;
}

export interface Size {
  width: number;
  height: number;
}

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/**
 * The file-name rule for batch ids (workflow ids and output folders). Thumbnail ids follow the
 * stricter {@link THUMBNAIL_ID_RULE}.
 */
export const SAFE_ID_RULE =
  'letters, digits, ".", "_" and "-" only, starting with a letter or digit, at most 100 characters, no ".."';

/** Ids become file and object-key names: no separators, no traversal, no leading dot or dash. */
export function isSafeId(id: unknown): id is string {
  return typeof id === 'string' && SAFE_ID.test(id) && !id.includes('..');
}

/** Thumbnail ids are carried in batch state (failures, re-roll decisions), so they are kept short. */
export const MAX_THUMBNAIL_ID_CHARS = 64;

export const THUMBNAIL_ID_RULE =
  'letters, digits, ".", "_" and "-" only, starting with a letter or digit, ' +
  `at most ${MAX_THUMBNAIL_ID_CHARS} characters, no ".."`;

/**
 * What a batch folder holds besides the winners (`<id>.jpg`): the outputs writer's file and folder
 * names. A thumbnail id equal to one of them, or to one without its extension, is refused
 * (`contact-sheet.jpg` would overwrite the contact sheet; the others would only confuse).
 */
export const BATCH_OUTPUT_NAMES = [
  'results.jsonl',
  'ledger.csv',
  'summary.json',
  'contact-sheet.html',
  'contact-sheet.jpg',
  'contact',
] as const;

/** Names Windows refuses for any file, whatever the extension (`con.jpg` cannot be created). */
const WINDOWS_DEVICE_NAME = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

const RESERVED_IDS: ReadonlySet<string> = new Set(
  BATCH_OUTPUT_NAMES.flatMap((name) => [name, name.replace(/\.[a-z]+$/, '')])
);

/** The key two ids collide on: file systems on macOS and Windows ignore case. */
export function idCollisionKey(id: string): string {
  return id.toLowerCase();
}

/** Why `id` cannot name a thumbnail, with the fix; `undefined` when it can. */
export function thumbnailIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'string' || !isSafeId(id) || id.length > MAX_THUMBNAIL_ID_CHARS) {
    const long = typeof id === 'string' && id.length > MAX_THUMBNAIL_ID_CHARS ? ` (it has ${id.length})` : '';
    // An id that is not a usable name may be any text (a line of an environment file): shown only when plain.
    return `id ${shownValue(id)} cannot be used as a file name${long} — use ${THUMBNAIL_ID_RULE}`;
  }
  const key = idCollisionKey(id);
  if (RESERVED_IDS.has(key)) {
    return (
      `id ${JSON.stringify(id)} is the name of a batch output (${BATCH_OUTPUT_NAMES.join(', ')}; case is ignored) — ` +
      `rename it, e.g. "${id}-1"`
    );
  }
  if (WINDOWS_DEVICE_NAME.test(key)) {
    return `id ${JSON.stringify(id)} is a device name Windows refuses as a file name (CON, PRN, AUX, NUL, COM0-9, LPT0-9) — rename it, e.g. "${id}-1"`;
  }
  return undefined;
}

/** Aspect-ratio models are accepted when the requested ratio is within this share of a ratio they offer. */
export const ASPECT_RATIO_TOLERANCE = 0.03;

/**
 * The pixel area an `aspect_ratio` brief resolves to: the area of a 1280×720 YouTube thumbnail,
 * so that 16:9 gives exactly 1280×720 and other ratios a similar pixel budget.
 */
export const THUMBNAIL_AREA = 1280 * 720;

function ratioValue(ratio: AspectRatio): number {
  const [w, h] = ratio.split(':').map(Number) as [number, number];
  return w / h;
}

/** Distance on a log scale, so 2:1 and 1:2 are equally far from 1:1. */
function ratioDistance(a: number, b: number): number {
  return Math.abs(Math.log(a / b));
}

/** The offered aspect ratio closest to width/height (ties go to the earlier entry of ASPECT_RATIOS). */
export function rerollAspectRatio(width: number, height: number): AspectRatio {
  const target = width / height;
  let best: AspectRatio = ASPECT_RATIOS[0];
  for (const ratio of ASPECT_RATIOS) {
    if (ratioDistance(ratioValue(ratio), target) < ratioDistance(ratioValue(best), target)) best = ratio;
  }
  return best;
}

/** Pixel size of a brief given as `aspect_ratio`: about {@link THUMBNAIL_AREA} pixels, sides multiples of 16. */
export function sizeForAspectRatio(ratio: AspectRatio): Size {
  return aspectRatioSize(ratio, THUMBNAIL_AREA / (1024 * 1024));
}

export function isAspectRatio(value: unknown): value is AspectRatio {
  return typeof value === 'string' && (ASPECT_RATIOS as readonly string[]).includes(value);
}

/** Why a size does not suit one model; `undefined` from {@link sizeProblem} means it does. */
export interface SizeProblem {
  model: FluxModel;
  message: string;
}

/**
 * Whether `model` can make a width×height image: pixel-sized models need each side within their
 * range and a multiple of their step; aspect-ratio models need a ratio within 3% of one they offer
 * (the re-roll is later resized to the brief's size, so a small mismatch is only a slight crop).
 */
export function sizeProblem(modelOrSpec: FluxModel | ModelSpec, size: Size): SizeProblem | undefined {
  const spec = typeof modelOrSpec === 'string' ? PRICE_CARD[modelOrSpec] : modelOrSpec;
  const model = spec.id;
  const { width, height } = size;
  const notASide = integerProblem('width', width, { min: 1 }) ?? integerProblem('height', height, { min: 1 });
  if (notASide) return { model, message: notASide };
  const control = spec.size;
  if (control.kind === 'pixels') {
    const { min, max, multipleOf } = control;
    const bad = [width, height].some((side) => side < min || side > max || side % multipleOf !== 0);
    if (bad) {
      return {
        model,
        message: `${model} makes sides from ${min} to ${max} pixels in multiples of ${multipleOf}, got ${width}x${height}`,
      };
    }
    return undefined;
  }
  const ratio = rerollAspectRatio(width, height);
  const off = Math.abs(width / height / ratioValue(ratio) - 1);
  if (off > ASPECT_RATIO_TOLERANCE) {
    return {
      model,
      message:
        `${model} only makes the aspect ratios ${ASPECT_RATIOS.join(', ')}; ${width}x${height} is ` +
        `${(off * 100).toFixed(1)}% off the nearest (${ratio}), more than ${ASPECT_RATIO_TOLERANCE * 100}%`,
    };
  }
  return undefined;
}

/** Every model's objection to a size (empty when all of them can make it). */
export function sizeProblems(models: readonly FluxModel[], size: Size): SizeProblem[] {
  const problems: SizeProblem[] = [];
  for (const model of new Set(models)) {
    const problem = sizeProblem(model, size);
    if (problem) problems.push(problem);
  }
  return problems;
}

const MIN_SUGGESTED_AREA = 256 * 256 * 4;
const MAX_SUGGESTED_AREA = 2048 * 2048 * 0.4;

function roundTo(value: number, step: number): number {
  return Math.max(step, Math.round(value / step) * step);
}

/**
 * Up to `limit` sizes that every model in `models` accepts, closest in shape (then in area) to the
 * requested one: what an error message offers as a fix.
 */
export function nearestValidSizes(models: readonly FluxModel[], size: Size, limit = 2): Size[] {
  const width = size.width > 0 ? size.width : 1280;
  const height = size.height > 0 ? size.height : 720;
  const area = width * height;
  const candidates: Size[] = [{ width: roundTo(width, 16), height: roundTo(height, 16) }];
  for (const ratio of ASPECT_RATIOS) {
    // The requested area (kept to what fits a 2048-pixel side at every offered ratio) and the standard thumbnail area.
    for (const a of [Math.min(Math.max(area, MIN_SUGGESTED_AREA), MAX_SUGGESTED_AREA), THUMBNAIL_AREA]) {
      candidates.push(aspectRatioSize(ratio, a / (1024 * 1024)));
    }
  }
  const target = width / height;
  const seen = new Set<string>();
  return candidates
    .filter((c) => {
      const key = `${c.width}x${c.height}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return sizeProblems(models, c).length === 0;
    })
    .map((c) => ({
      c,
      shape: ratioDistance(c.width / c.height, target),
      scale: ratioDistance(c.width * c.height, area),
    }))
    .sort((a, b) => a.shape - b.shape || a.scale - b.scale || a.c.width - b.c.width)
    .slice(0, limit)
    .map(({ c }) => c);
}

export function formatSize(size: Size): string {
  return `${size.width}x${size.height}`;
}

/**
 * One message for a size some models cannot make, naming each objection and the nearest sizes
 * that would work for all of them; `undefined` when the size is fine.
 */
export function describeSizeProblems(models: readonly FluxModel[], size: Size): string | undefined {
  const problems = sizeProblems(models, size);
  if (problems.length === 0) return undefined;
  const nearest = nearestValidSizes(models, size);
  const fix = nearest.length > 0 ? ` — try ${nearest.map(formatSize).join(' or ')}` : '';
  return `${problems.map((p) => p.message).join('; ')}${fix}`;
}
