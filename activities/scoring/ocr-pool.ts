/**
 * OCR for the requested-text check: a small tesseract.js pool (WebAssembly in worker threads)
 * started on first use, so a worker that never sees a quoted prompt never loads it. Offline: the
 * English LSTM data comes from the `@tesseract.js-data/eng` package and nothing is cached or
 * downloaded.
 *
 * Images are prepared with sharp before recognition — greyscale, scaled down to at most 640 px on
 * the long side (thumbnail lettering is large; tesseract reads it better and 3× faster at half
 * size), then a 3×3 median (removes the speckle that otherwise makes tesseract chase thousands of
 * "characters": 4 s instead of 0.1 s on a noisy draft). Measured on emulator thumbnails in
 * docs/scoring.md ("Requested text").
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import sharp from 'sharp';
import { createScheduler, createWorker, type Scheduler } from 'tesseract.js';
import { FLATTEN_BACKGROUND } from './decode-image.js';

export interface OcrPoolOptions {
  /** Worker threads, 1–2 (default 1: each holds ~40 MB and one recognition already takes a core). */
  size?: number;
  /** Longest side, in pixels, images are scaled down to before recognition (default 640). */
  maxSide?: number;
}

/**
 * An encoded image (JPEG, PNG, WebP …). OCR decodes it itself, straight to its own size: CLIP and the
 * statistics use a smaller image (decode-image.ts), and decoding into the resize costs less than
 * resizing a full-resolution copy.
 */
export type OcrImage = Uint8Array;

export interface OcrPool {
  /**
   * The text tesseract reads in the image. An aborted `signal` drops the image if it is still
   * waiting (the scoring it was for has failed).
   */
  recognize(image: OcrImage, signal?: AbortSignal): Promise<string>;
  /**
   * Stops the workers; a later `recognize` starts them again, while images still waiting from
   * before are refused (they must not restart the workers of a pool being shut down).
   */
  terminate(): Promise<void>;
  /** Whether the workers are running (or starting). */
  readonly started: boolean;
}

const require = createRequire(import.meta.url);

/** Folder of `eng.traineddata.gz` (LSTM, "best_int") inside the data package. */
function englishDataPath(): string {
  const pkg = require.resolve('@tesseract.js-data/eng/package.json');
  return join(pkg, '..', '4.0.0_best_int');
}

/**
 * The image as tesseract gets it (see the module comment). Scaled down in colour first, then made
 * grey: libvips converts to greyscale through linear light, which on the full 1280×720 image cost
 * more than everything else here; on the small copy the same conversion costs a fraction (41 → 21 ms
 * of CPU an image; OCR reads the same text on 90 of 96 emulator drafts, docs/scoring.md).
 */
export async function prepareForOcr(image: OcrImage, maxSide = 640): Promise<Buffer> {
  const { data, info } = await sharp(image)
    // Transparent areas read on white, as they are scored.
    .flatten({ background: FLATTEN_BACKGROUND })
    .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
    .greyscale()
    .median(3)
    .png({ compressionLevel: 1 })
    .toBuffer();
}

export function createOcrPool(options: OcrPoolOptions = {}): OcrPool {
  const size = Math.min(2, Math.max(1, Math.floor(options.size ?? 1)));
  const maxSide = options.maxSide ?? 640;
  let scheduler: Promise<Scheduler> | undefined;
  let terminations = 0;
  // As many images are prepared at once as there are workers: preparing takes ~35 ms of a libuv
  // thread per 1280×720 image (decode, greyscale, median), recognising ~40–70 ms, so that keeps the
  // workers fed, while a batch's worth at once would fill libuv's four threads and hold up the CLIP
  // decoding queued behind.
  const preparing = concurrencyLimit(size);

  const start = async (): Promise<Scheduler> => {
    const langPath = englishDataPath();
    const workers = await Promise.all(
      Array.from({ length: size }, () =>
        // OEM 1: the LSTM engine, the only one best_int data carries.
        createWorker('eng', 1, { langPath, gzip: true, cacheMethod: 'none' }).then(async (worker) => {
          // The prepared PNG declares no resolution; without one tesseract logs a warning and estimates
          // it for every image. 72 dpi is what the providers' JPEGs declare.
          await worker.setParameters({ user_defined_dpi: '72' });
          return worker;
        })
      )
    );
    const s = createScheduler();
    for (const w of workers) s.addWorker(w);
    return s;
  };

  return {
    get started() {
      return scheduler !== undefined;
    },
    async recognize(image, signal) {
      const generation = terminations;
      const prepared = await preparing(async () => {
        signal?.throwIfAborted();
        return prepareForOcr(image, maxSide);
      });
      signal?.throwIfAborted();
      if (generation !== terminations) throw new Error('the OCR pool was terminated while this image waited');
      if (!scheduler) {
        scheduler = start();
        // A failed start (missing data) must not stick: the next call tries again.
        scheduler.catch(() => (scheduler = undefined));
      }
      const result = await (await scheduler).addJob('recognize', prepared);
      return result.data.text;
    },
    async terminate() {
      terminations++;
      const s = scheduler;
      scheduler = undefined;
      if (s) await (await s.catch(() => undefined))?.terminate();
    },
  };
}

/** Runs at most `n` of the given tasks at once, the rest in call order. */
function concurrencyLimit(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (running < n) running++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next task, so a newcomer cannot slip in between.
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}
