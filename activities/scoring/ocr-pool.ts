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
 * bench/RESULTS.md ("OCR"); the check itself: docs/text-check.md.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import sharp from 'sharp';
import { createScheduler, createWorker, type Scheduler, type Worker } from 'tesseract.js';
import { pixelLimit } from '../image-bounds.js';
import { FLATTEN_BACKGROUND } from './decode-image.js';

export interface OcrPoolOptions {
  /** Worker threads, 1–2 (default 1: each holds ~40 MB and one recognition already takes a core). */
  size?: number;
  /** Folder holding `eng.traineddata.gz` (default: the `@tesseract.js-data/eng` package's). */
  langPath?: string;
}

/** Longest side, in pixels, an image is scaled down to before recognition. */
const OCR_MAX_SIDE = 640;

/** Why an image that was still waiting is refused when the pool is terminated. */
const TERMINATED = 'the OCR pool was terminated while this image waited';

/**
 * An encoded image (JPEG, PNG, WebP …). OCR decodes it itself, straight to its own size: CLIP and the
 * statistics use a smaller image (decode-image.ts), and decoding into the resize costs less than
 * resizing a full-resolution copy.
 */
export type OcrImage = Uint8Array;

export interface OcrPool {
  /**
   * The text tesseract reads in the image. An aborted `signal` (the scoring it was for has failed or
   * was cancelled) rejects at once; the image is dropped if it has not reached a worker yet.
   */
  recognize(image: OcrImage, signal?: AbortSignal): Promise<string>;
  /**
   * Stops the workers; a later `recognize` starts them again, while images still waiting or being
   * read from before are refused (they must not restart the workers of a pool being shut down, and
   * their callers must not wait for a worker that is gone).
   */
  terminate(): Promise<void>;
  /** Whether the workers are running (or starting). */
  readonly started: boolean;
}

const require = createRequire(import.meta.url);
const gunzipAsync = promisify(gunzip);

/** Folder of `eng.traineddata.gz` (LSTM, "best_int") inside the data package. */
function englishDataPath(): string {
  const pkg = require.resolve('@tesseract.js-data/eng/package.json');
  return join(pkg, '..', '4.0.0_best_int');
}

/**
 * The image as tesseract gets it (see the module comment). Scaled down in colour first, then made
 * grey: libvips converts to greyscale through linear light, which on the full 1280×720 image cost
 * more than everything else here; on the small copy the same conversion costs a fraction (41 → 21 ms
 * of CPU an image; OCR reads the same text on 90 of 96 emulator drafts, bench/RESULTS.md).
 */
export async function prepareForOcr(image: OcrImage): Promise<Buffer> {
  // Scoring checked the header against the expected size first; the ceiling still holds if not.
  const { data, info } = await sharp(image, { limitInputPixels: pixelLimit() })
    // Transparent areas read on white, as they are scored.
    .flatten({ background: FLATTEN_BACKGROUND })
    .resize({ width: OCR_MAX_SIDE, height: OCR_MAX_SIDE, fit: 'inside', withoutEnlargement: true })
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
  let scheduler: Promise<Scheduler> | undefined;
  let terminations = 0;
  // Callers whose image is with the scheduler: tesseract's terminate() drops its queue without
  // settling those jobs, so the pool refuses them itself.
  const reading = new Set<(reason: Error) => void>();
  // As many images are prepared at once as there are workers: preparing takes ~35 ms of a libuv
  // thread per 1280×720 image (decode, greyscale, median), recognising ~40–70 ms, so that keeps the
  // workers fed, while a batch's worth at once would fill libuv's four threads and hold up the CLIP
  // decoding queued behind.
  const preparing = concurrencyLimit(size);

  const langPath = options.langPath ?? englishDataPath();

  const start = async (): Promise<Scheduler> => {
    await checkOcrData(join(langPath, 'eng.traineddata.gz'));
    const started = await Promise.allSettled(Array.from({ length: size }, () => startWorker(langPath)));
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) {
      // One worker failing (missing or corrupt data) fails the start; the ones that did start stop.
      await Promise.all(started.map((r) => (r.status === 'fulfilled' ? r.value.terminate() : Promise.resolve())));
      throw asError(failed.reason);
    }
    const s = createScheduler();
    for (const r of started) if (r.status === 'fulfilled') s.addWorker(r.value);
    return s;
  };

  const workers = (): Promise<Scheduler> => {
    if (scheduler) return scheduler;
    const starting = start();
    scheduler = starting;
    // A failed start must not stick: the next call tries again (unless a newer start replaced it).
    starting.catch(() => {
      if (scheduler === starting) scheduler = undefined;
    });
    return starting;
  };

  return {
    get started() {
      return scheduler !== undefined;
    },
    async recognize(image, signal) {
      const generation = terminations;
      const prepared = await preparing(async () => {
        signal?.throwIfAborted();
        return prepareForOcr(image);
      });
      signal?.throwIfAborted();
      if (generation !== terminations) throw new Error(TERMINATED);
      const job = workers().then((s) => s.addJob('recognize', prepared));
      return new Promise<string>((resolve, reject) => {
        const refuse = (reason: Error) => reject(reason);
        const onAbort = () => refuse(signal?.reason instanceof Error ? signal.reason : new Error('OCR aborted'));
        reading.add(refuse);
        signal?.addEventListener('abort', onAbort, { once: true });
        job
          .then(
            (result) => resolve(result.data.text),
            (err: unknown) => reject(asError(err))
          )
          .finally(() => {
            reading.delete(refuse);
            signal?.removeEventListener('abort', onAbort);
          });
      });
    },
    async terminate() {
      terminations++;
      for (const refuse of reading) refuse(new Error(TERMINATED));
      reading.clear();
      const s = scheduler;
      scheduler = undefined;
      if (s) await (await s.catch(() => undefined))?.terminate();
    },
  };
}

/**
 * Refuses data tesseract could not load. tesseract.js does not survive that: on data that does not
 * decompress it answers one job twice and throws from its message listener, which ends the process
 * (the scoring worker, with every scoring in flight); on a missing file it names only "eng".
 */
async function checkOcrData(file: string): Promise<void> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    throw new Error(`OCR data ${file} is missing: run npm ci (it installs @tesseract.js-data/eng)`);
  }
  try {
    await gunzipAsync(bytes);
  } catch (err) {
    throw new Error(
      `OCR data ${file} is damaged (${(err as Error).message}): run npm ci to reinstall @tesseract.js-data/eng`
    );
  }
}

/**
 * One tesseract worker, with the English LSTM engine (OEM 1, the only one best_int data carries).
 * tesseract.js reports a failed job twice: to the job's promise, and to `errorHandler`, or, without
 * one, by throwing inside its message listener, where nothing can catch it and the process dies.
 * A failure while loading the data reaches only the handler (createWorker's own promise then never
 * settles), so the handler is what fails the start; afterwards the jobs' promises carry the errors.
 */
function startWorker(langPath: string): Promise<Worker> {
  return new Promise<Worker>((resolve, reject) => {
    createWorker('eng', 1, {
      langPath,
      gzip: true,
      cacheMethod: 'none',
      // Progress reports would be one message per recognition step; nothing here wants them.
      logger: () => {},
      errorHandler: (err: unknown) => reject(asError(err)),
    })
      .then(async (worker) => {
        await worker.setParameters({
          // The prepared PNG declares no resolution; without one tesseract logs a warning and
          // estimates it for every image. 72 dpi is what the providers' JPEGs declare.
          user_defined_dpi: '72',
          // Tesseract's own diagnostics ("Line cannot be recognized!!", "Image too small to
          // scale!!" on specks some drafts leave) go through its tprintf to stderr, which the
          // WebAssembly core sends to the worker thread's console.error and so to the scoring
          // worker's log, once per line of every such image. tprintf prints nothing when
          // debug_file is /dev/null. Failures still reach us: they are the jobs' rejections.
          debug_file: '/dev/null',
        });
        resolve(worker);
      })
      .catch((err: unknown) => reject(asError(err)));
  });
}

/** tesseract.js rejects with its worker's message as a bare string. */
function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(`tesseract: ${String(err)}`);
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
