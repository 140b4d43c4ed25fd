import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOcrPool } from '../../activities/scoring/ocr-pool.js';
import { renderImage } from '../../emulator/render.js';

const PROMPT = "gaming thumbnail, text 'I FOUND IT'";
let dir: string;
let image: Buffer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'thumbgate-ocr-pool-'));
  image = (await renderImage({ model: 'flux-1.1-pro', prompt: PROMPT, seed: 1, width: 1280, height: 720 })).bytes;
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('OCR pool failures', () => {
  test('missing OCR data: the call is refused naming the file and the fix, and the next call tries again', async () => {
    const empty = join(dir, 'empty');
    const pool = createOcrPool({ langPath: empty });
    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(pool.recognize(image)).rejects.toThrow(
        `OCR data ${join(empty, 'eng.traineddata.gz')} is missing: run npm ci`
      );
      expect(pool.started).toBe(false);
    }
    await pool.terminate();
  });

  // tesseract.js answers a failed load twice and throws from its message listener, which would end
  // the scoring worker's process: such data never reaches it.
  test('damaged OCR data: the call is refused naming the file and the fix', async () => {
    const damaged = join(dir, 'damaged');
    await mkdir(damaged);
    await writeFile(join(damaged, 'eng.traineddata.gz'), 'not a gzip file');
    const pool = createOcrPool({ langPath: damaged });
    await expect(pool.recognize(image)).rejects.toThrow(
      new RegExp(`^OCR data ${join(damaged, 'eng.traineddata.gz')} is damaged \\(.+\\): run npm ci to reinstall`)
    );
    expect(pool.started).toBe(false);
    await pool.terminate();
  });

  test('terminate settles every image, those already with tesseract included', async () => {
    const pool = createOcrPool();
    expect(await pool.recognize(image)).toMatch(/FOUND/); // started and warm
    const queued = Array.from({ length: 4 }, () => pool.recognize(image));
    await queued[0]; // the rest are now being prepared, waiting in tesseract's queue or being read
    await pool.terminate();
    const settled = await Promise.race([
      Promise.allSettled(queued),
      new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 20_000).unref()),
    ]);
    expect(settled).not.toBe('hung');
    const outcomes = settled as PromiseSettledResult<string>[];
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    for (const o of refused) expect(String(o.reason)).toContain('the OCR pool was terminated while this image waited');
    expect(pool.started).toBe(false);
  }, 60_000);

  test('an aborted signal rejects at once, even while tesseract reads the image', async () => {
    const pool = createOcrPool();
    await pool.recognize(image); // warm: the next image goes straight to a worker
    const abandon = new AbortController();
    const reading = pool.recognize(image, abandon.signal);
    await new Promise((resolve) => setTimeout(resolve, 40)); // prepared (~20 ms) and handed over
    abandon.abort(new Error('scoring cancelled'));
    await expect(reading).rejects.toThrow('scoring cancelled');
    await pool.terminate();
  }, 60_000);
});
