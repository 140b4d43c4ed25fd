/**
 * OCR for the requested-text check: a small tesseract.js pool (WebAssembly in worker threads)
 * started on first use, so a worker that never sees a quoted prompt never loads it. Offline: the
 * English LSTM data comes from the `@tesseract.js-data/eng` package and nothing is cached or
 * downloaded.
 *
 * Images are prepared with sharp before recognition — greyscale, a 3×3 median (removes the
 * speckle that otherwise makes tesseract chase thousands of "characters": 4 s instead of 0.1 s on
 * a noisy draft) and scaled down to at most 640 px on the long side (thumbnail lettering is large;
 * tesseract reads it better and 3× faster at half size). Measured on emulator thumbnails in
 * docs/scoring.md ("Requested text").
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import sharp from 'sharp';
import { createScheduler, createWorker, type Scheduler } from 'tesseract.js';

export interface OcrPoolOptions {
  /** Worker threads, 1–2 (default 1: each holds ~40 MB and one recognition already takes a core). */
  size?: number;
  /** Longest side, in pixels, images are scaled down to before recognition (default 640). */
  maxSide?: number;
}

export interface OcrPool {
  /** The text tesseract reads in an encoded image (JPEG, PNG, WebP …). */
  recognize(image: Uint8Array): Promise<string>;
  /** Stops the workers; a later `recognize` starts them again. */
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

/** The image as tesseract gets it (see the module comment). */
export async function prepareForOcr(image: Uint8Array, maxSide = 640): Promise<Buffer> {
  return sharp(image)
    .greyscale()
    .median(3)
    .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
    .png({ compressionLevel: 1 })
    .toBuffer();
}

export function createOcrPool(options: OcrPoolOptions = {}): OcrPool {
  const size = Math.min(2, Math.max(1, Math.floor(options.size ?? 1)));
  const maxSide = options.maxSide ?? 640;
  let scheduler: Promise<Scheduler> | undefined;

  const start = async (): Promise<Scheduler> => {
    const langPath = englishDataPath();
    const workers = await Promise.all(
      Array.from({ length: size }, () =>
        // OEM 1: the LSTM engine, the only one best_int data carries.
        createWorker('eng', 1, { langPath, gzip: true, cacheMethod: 'none' })
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
    async recognize(image) {
      const prepared = await prepareForOcr(image, maxSide);
      if (!scheduler) {
        scheduler = start();
        // A failed start (missing data) must not stick: the next call tries again.
        scheduler.catch(() => (scheduler = undefined));
      }
      const result = await (await scheduler).addJob('recognize', prepared);
      return result.data.text;
    },
    async terminate() {
      const s = scheduler;
      scheduler = undefined;
      if (s) await (await s.catch(() => undefined))?.terminate();
    },
  };
}
