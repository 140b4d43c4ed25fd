/**
 * Tesseract's own diagnostics stay out of the scoring worker's log (activities/scoring/ocr-pool.ts
 * sets `debug_file` to /dev/null). They are printed by the WebAssembly core through the worker
 * thread's console.error, which Node pipes into this process's stderr: so the test records every
 * write to process.stderr and process.stdout, and the console, while a draft that makes tesseract
 * complain is read. Without the setting this draft prints "Image too small to scale!! (2x36 vs min
 * width of 3)" and "Line cannot be recognized!!".
 */
import { createOcrPool } from '../../activities/scoring/ocr-pool.js';
import { renderImage } from '../../emulator/render.js';

/** A vertical, blurred flux-schnell draft whose speckle leaves tesseract a line 2 px wide. */
const PROMPT =
  'a wide-eyed gamer with neon headphones recoiling from a glowing monitor, purple rim light, bold title text «DO NOT PLAY THIS»';

/** Records what is written to stdout, stderr and the console while `run` runs, passing it through. */
async function recordOutput(run: () => Promise<void>): Promise<string> {
  const seen: string[] = [];
  const streams = [process.stderr, process.stdout];
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  // Put back exactly what was there (own properties or the prototype's method) afterwards.
  const saved = [
    ...streams.map((s) => [s, 'write', Object.getOwnPropertyDescriptor(s, 'write')] as const),
    ...methods.map((m) => [console, m, Object.getOwnPropertyDescriptor(console, m)] as const),
  ];
  for (const s of streams) {
    const write = s.write.bind(s) as (...args: unknown[]) => boolean;
    s.write = (chunk: unknown, ...rest: unknown[]) => {
      seen.push(String(chunk));
      return write(chunk, ...rest);
    };
  }
  for (const m of methods) {
    const log = console[m].bind(console);
    console[m] = (...args: unknown[]) => {
      seen.push(args.map(String).join(' '));
      log(...args);
    };
  }
  try {
    await run();
  } finally {
    for (const [target, key, descriptor] of saved) {
      if (descriptor) Object.defineProperty(target, key, descriptor);
      else delete (target as unknown as Record<string, unknown>)[key];
    }
  }
  return seen.join('');
}

test("tesseract's internal messages do not reach the worker's output", async () => {
  const draft = await renderImage({ model: 'flux-schnell', prompt: PROMPT, seed: 1, width: 720, height: 1280 });
  const pool = createOcrPool({ size: 1 });
  const output = await recordOutput(async () => {
    await pool.recognize(draft.bytes);
    // The worker thread's output reaches this process through a message port: stopping the worker
    // drains that port (Node flushes a worker's stdio when it exits), and a few turns of the event
    // loop let the piped stream write what it received.
    await pool.terminate();
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  });
  expect(output).not.toMatch(/Line cannot be recognized|Image too small to scale|Estimating resolution|Empty page/);
}, 60_000);
