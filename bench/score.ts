/**
 * `npm run bench:score`: scoring throughput and memory, exactly the activity's code path
 * (`scoreImages`) minus the blob read, for the committed tiny model and for a random-weight model of
 * the real ViT-B/32 shape (int8 dynamic, same ops and FLOPs as Xenova/clip-vit-base-patch32),
 * generated on first run into bench/models/. Prints figures; asserts nothing. Each model runs in its
 * own process, so its RSS is that model's. For each model, from one run:
 *
 *  - pixel statistics: the technical-quality measures alone (sharpness, noise, exposure, contrast,
 *    colourfulness), per image at the analysis size;
 *  - model only: the vision tower alone on prepared input, in passes of 1, 4 and 8 (scoring runs a
 *    thumbnail's candidates, up to 8, as one pass), and the multiply-add rate that is (GMAC/s, to set
 *    against the cores' int8 peak from `npm run bench:int8-peak`);
 *  - images/s end to end without the text check, per call of 1, 4 (the default candidates) and 8 images;
 *  - images/s with the text check (the prompt quotes text; OCR as the worker runs it, one tesseract
 *    worker) and what the check adds per candidate;
 *  - images/s as the scoring worker runs it (a stream of calls of 4 and of 8, two in flight), and its
 *    share of the model-only rate, the two timed alternately;
 *  - RSS before loading, with the model, with OCR loaded too, and the peak.
 *
 *   npm run bench:score                       # both models
 *   npm run bench:score -- --model vit-b-32   # one (tiny | vit-b-32 | a folder name under --model-dir)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import {
  DEFAULT_AESTHETIC_PROMPTS,
  loadAestheticHead,
  DEFAULT_TECHNICAL_WEIGHTS,
  SCORING_WORKER_OPTIONS,
  TINY_CLIP_MODEL,
  clipModelConfigFromEnv,
  createOcrPool,
  decodeImage,
  loadClipModel,
  scoreImages,
  technicalQuality,
  type ClipModel,
  type ClipModelConfig,
  type EncodedImage,
} from '../activities/scoring/index.js';
import { clipPixelCount, writeClipPixels } from '../activities/scoring/clip-pixels.js';
import { renderImage } from '../emulator/render.js';
import { DEFAULT_SCORE_WEIGHTS, RANDOM_WEIGHTS_NOTICE } from '../shared/scoring.js';
import { projectRoot } from '../node/paths.js';

const WIDTH = 1280;
const HEIGHT = 720;
const DRAFTS = 8;
const BATCHES = [1, 4, 8];
const PASSES = [1, 4, 8];
const BENCH_MODELS = join(projectRoot, 'bench', 'models');
const VIT_B_32 = 'clip-vit-b-32-random';
/** The drafts are the emulator's flux-schnell renders of this prompt: lettering, and its usual defects. */
const TEXT_PROMPT = "a cooking video thumbnail: a steaming bowl of ramen, bold title text 'RAMEN IN 10 MINUTES'";
/** The same brief asking for no text: the text check is skipped. */
const PLAIN_PROMPT = 'a cooking video thumbnail: a steaming bowl of ramen, bold title text';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    'model-dir': { type: 'string' },
    images: { type: 'string', default: '48' },
    'text-images': { type: 'string', default: '16' },
    child: { type: 'boolean', default: false },
    'image-dir': { type: 'string' },
  },
});

function modelConfig(name: string): ClipModelConfig {
  const base = { allowRemote: false, cacheDir: join(BENCH_MODELS, '.no-cache') };
  if (name === 'tiny')
    return clipModelConfigFromEnv({}, { ...base, modelId: TINY_CLIP_MODEL, modelDir: join(projectRoot, 'models') });
  if (name === 'vit-b-32') return clipModelConfigFromEnv({}, { ...base, modelId: VIT_B_32, modelDir: BENCH_MODELS });
  return clipModelConfigFromEnv({}, { ...base, modelId: name, modelDir: values['model-dir'] ?? BENCH_MODELS });
}

function ensureVitB32(): void {
  if (existsSync(join(BENCH_MODELS, VIT_B_32, 'onnx', 'vision_model_quantized.onnx'))) return;
  console.log(`generating the random-weight ViT-B/32-shaped model into bench/models/${VIT_B_32} (once) ...`);
  const r = spawnSync(
    'python3',
    [join(projectRoot, 'scripts', 'make-clip-model.py'), '--preset', 'vit-b-32', '--out', join(BENCH_MODELS, VIT_B_32)],
    { stdio: 'inherit' }
  );
  if (r.status !== 0) throw new Error('scripts/make-clip-model.py failed');
}

/** Eight distinct 1280×720 JPEG drafts from the emulator's flux-schnell, written to `dir` (not timed). */
async function writeDrafts(dir: string): Promise<void> {
  for (let i = 0; i < DRAFTS; i++) {
    const draft = await renderImage({
      model: 'flux-schnell',
      prompt: TEXT_PROMPT,
      seed: i + 1,
      width: WIDTH,
      height: HEIGHT,
    });
    writeFileSync(join(dir, `draft-${i}.jpg`), draft.bytes);
  }
}

function readDrafts(dir: string): EncodedImage[] {
  return Array.from({ length: DRAFTS }, (_, i) => ({
    bytes: readFileSync(join(dir, `draft-${i}.jpg`)),
    sha256: String(i).padStart(64, '0'),
  }));
}

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
const rss = () => process.memoryUsage().rss;

interface Timing {
  /** Wall time per image of the least disturbed run (the machine is shared), and of the median run. */
  best: number;
  median: number;
  /**
   * Process CPU time per image, median run: a busy neighbour does not inflate it the way it does wall
   * time, so it is the fairest figure for comparing two versions of the code run minutes apart.
   */
  cpu: number;
}

/** One timed run of `images` images: wall and process CPU milliseconds per image. */
async function timeRun(images: number, run: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const wall = (performance.now() - t0) / images;
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpu: (cpu.user + cpu.system) / 1000 / images };
}

const median3 = (values: number[]) => [...values].sort((a, b) => a - b)[1]!;

function summarise(runs: { wall: number; cpu: number }[]): Timing {
  const walls = runs.map((r) => r.wall);
  return { best: Math.min(...walls), median: median3(walls), cpu: median3(runs.map((r) => r.cpu)) };
}

/** Best and median of three timed runs. */
async function bestOfThree(images: number, run: () => Promise<unknown>): Promise<Timing> {
  const runs = [];
  for (let rep = 0; rep < 3; rep++) runs.push(await timeRun(images, run));
  return summarise(runs);
}

interface VisionConfig {
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  image_size: number;
  patch_size: number;
  num_channels: number;
  projection_dim: number;
}

/**
 * Multiply-adds of one image through the vision tower's weight matrices (the int8 products, ~98 % of
 * its arithmetic; attention's own products are left out): the patch embedding, then per layer the
 * four attention projections and the two MLP matrices for every token, and the projection of the
 * class token. 4.36 G for ViT-B/32. Divided by the measured time it says how close the tower runs
 * to the cores' int8 peak (`npm run bench:int8-peak`).
 */
function visionMacsPerImage(config: ClipModelConfig): number {
  const file = join(config.modelDir, config.modelId, 'config.json');
  const v = (JSON.parse(readFileSync(file, 'utf8')) as { vision_config: VisionConfig }).vision_config;
  const patches = (v.image_size / v.patch_size) ** 2;
  const tokens = patches + 1;
  const perLayer = tokens * (4 * v.hidden_size ** 2 + 2 * v.hidden_size * v.intermediate_size);
  return (
    patches * v.num_channels * v.patch_size ** 2 * v.hidden_size +
    v.num_hidden_layers * perLayer +
    v.hidden_size * v.projection_dim
  );
}

/**
 * The vision tower alone, on CLIP inputs prepared beforehand (the ceiling for end-to-end scoring):
 * `run(pass)` makes `count` images' worth of passes of `pass`, untimed, for callers that time it.
 */
async function modelOnly(model: ClipModel, images: EncodedImage[], count: number) {
  const per = clipPixelCount(model.preprocessing);
  const pixels = new Float32Array(per * images.length);
  for (const [i, image] of images.entries()) {
    writeClipPixels(await decodeImage(image.bytes, model.preprocessing), model.preprocessing, pixels, i * per);
  }
  const rounds = (pass: number) => Math.max(1, Math.round(count / pass));
  const run = async (pass: number) => {
    const input = pixels.subarray(0, per * pass);
    for (let r = 0; r < rounds(pass); r++) await model.embedImages(input, pass);
  };
  const timings = new Map<number, Timing>();
  for (const pass of PASSES) {
    await model.embedImages(pixels.subarray(0, per * pass), pass); // warm-up
    timings.set(pass, await bestOfThree(rounds(pass) * pass, () => run(pass)));
  }
  return { timings, run, images: (pass: number) => rounds(pass) * pass };
}

/**
 * The technical-quality statistics alone, on the drafts as scoring decodes them (the Laplacian pass
 * with the noise measure's median, and the colour and exposure statistics); part of every end-to-end
 * figure below, shown apart so a change to the measures shows what it costs.
 */
async function pixelStatistics(model: ClipModel, images: EncodedImage[], count: number) {
  const decoded = await Promise.all(images.map((image) => decodeImage(image.bytes, model.preprocessing)));
  const timing = await bestOfThree(count, () => {
    for (let i = 0; i < count; i++) technicalQuality(decoded[i % decoded.length]!);
    return Promise.resolve();
  });
  return { timing, size: `${decoded[0]!.width}×${decoded[0]!.height}` };
}

async function child(name: string): Promise<void> {
  const config = modelConfig(name);
  const rssStart = rss();
  const started = performance.now();
  const model = await loadClipModel(config);
  const loadMs = performance.now() - started;
  const rssLoaded = rss();
  const images = readDrafts(values['image-dir']!);
  const ocr = createOcrPool(); // as the worker makes it: one tesseract worker, started on first use
  const options = {
    weights: { ...DEFAULT_SCORE_WEIGHTS },
    aestheticPrompts: DEFAULT_AESTHETIC_PROMPTS,
    technicalWeights: DEFAULT_TECHNICAL_WEIGHTS,
    // The default aesthetic: the LAION head on the image embeddings (bound to ViT-B/32-shaped models).
    aestheticHead: loadAestheticHead(),
    ocr,
  };
  const size = { width: WIDTH, height: HEIGHT };
  const total = Number(values.images);
  const textTotal = Number(values['text-images']);

  const statistics = await pixelStatistics(model, images, total);
  const towerOnly = await modelOnly(model, images, total);
  const modelTimes = towerOnly.timings;
  const endToEnd = async (prompt: string, batch: number, count: number) => {
    const slice = images.slice(0, batch);
    await scoreImages(model, prompt, slice, size, options); // warm-up (text cache, OCR start)
    const rounds = Math.max(1, Math.round(count / batch));
    return bestOfThree(rounds * batch, async () => {
      for (let r = 0; r < rounds; r++) await scoreImages(model, prompt, slice, size, options);
    });
  };
  // As the scoring worker runs them: a stream of calls, as many in flight as it executes at once, so
  // one call's decoding overlaps another's inference. Each of the three runs comes right after a
  // model-only run of the same passes, and the share of the model-only rate is the median of the three
  // runs' ratios: the two sides of each ratio are timed in the same minute, which the host's swings
  // (±20 % from one minute to the next) would otherwise decide.
  const inFlight = SCORING_WORKER_OPTIONS.maxConcurrentActivityTaskExecutions;
  const streamed = async (batch: number, count: number) => {
    const slice = images.slice(0, batch);
    const calls = Math.max(inFlight, Math.round(count / batch));
    const stream = async () => {
      let next = 0;
      const lane = async () => {
        while (next++ < calls) await scoreImages(model, PLAIN_PROMPT, slice, size, options);
      };
      await Promise.all(Array.from({ length: inFlight }, lane));
    };
    const runs: { wall: number; cpu: number }[] = [];
    const towers: { wall: number; cpu: number }[] = [];
    for (let rep = 0; rep < 3; rep++) {
      towers.push(await timeRun(towerOnly.images(batch), () => towerOnly.run(batch)));
      runs.push(await timeRun(calls * batch, stream));
    }
    const share = median3(runs.map((run, rep) => towers[rep]!.wall / run.wall));
    return { ...summarise(runs), share, tower: summarise(towers).best };
  };
  const rows: string[] = [];
  for (const batch of BATCHES) {
    const plain = await endToEnd(PLAIN_PROMPT, batch, total);
    const text = await endToEnd(TEXT_PROMPT, batch, textTotal);
    rows.push(
      `  ${batch} per call: ${(1000 / plain.best).toFixed(1)} images/s, ${plain.best.toFixed(1)} ms/image ` +
        `(median ${(1000 / plain.median).toFixed(1)} images/s); with the text check ` +
        `${(1000 / text.best).toFixed(1)} images/s, ${text.best.toFixed(1)} ms/image ` +
        `(+${(text.best - plain.best).toFixed(0)} ms a candidate; median +${(text.median - plain.median).toFixed(0)}); ` +
        `CPU ${plain.cpu.toFixed(1)} ms/image without the text check`
    );
  }
  for (const batch of BATCHES.filter((b) => b > 1)) {
    const t = await streamed(batch, total);
    rows.push(
      `  ${batch} per call, ${inFlight} calls in flight (the scoring worker): ${(1000 / t.best).toFixed(1)} images/s, ` +
        `${t.best.toFixed(1)} ms/image (median ${(1000 / t.median).toFixed(1)} images/s) = ` +
        `${(100 * t.share).toFixed(0)} % of the model-only rate for passes of ${batch} ` +
        `(timed alternately: model only ${t.tower.toFixed(1)} ms/image at best); ` +
        `CPU ${t.cpu.toFixed(1)} ms/image`
    );
  }
  const rssWithOcr = rss();
  // Batch-vs-one-by-one agreement for this model (dynamic int8 quantises activations per pass).
  const batch = await scoreImages(model, PLAIN_PROMPT, images, size, options);
  let maxDiff = 0;
  for (const [i, image] of images.entries()) {
    const [one] = (await scoreImages(model, PLAIN_PROMPT, [image], size, options)).scores;
    maxDiff = Math.max(
      maxDiff,
      Math.abs(one!.score - batch.scores[i]!.score),
      Math.abs(one!.alignment.cosine - batch.scores[i]!.alignment.cosine)
    );
  }
  await ocr.terminate();
  const peak = process.resourceUsage().maxRSS * 1024;
  console.log(`${config.modelId} (${model.randomWeights ? RANDOM_WEIGHTS_NOTICE : 'real weights'})`);
  console.log(
    `  load ${loadMs.toFixed(0)} ms; RSS ${mb(rssStart)} MB before loading, ${mb(rssLoaded)} MB with the model, ` +
      `${mb(rssWithOcr)} MB with the model and OCR loaded (after all runs), peak ${mb(peak)} MB`
  );
  const macs = visionMacsPerImage(config);
  console.log(`model only (vision tower on prepared input; ${(macs / 1e9).toFixed(2)} G multiply-adds an image):`);
  for (const [pass, t] of modelTimes) {
    console.log(
      `  pass of ${pass}: ${t.best.toFixed(1)} ms/image (median ${t.median.toFixed(1)}) = ` +
        `${(macs / t.best / 1e6).toFixed(0)} GMAC/s; CPU ${t.cpu.toFixed(1)} ms/image`
    );
  }
  console.log(
    `pixel statistics (technical quality: sharpness, noise, exposure, contrast, colourfulness, at the ` +
      `${statistics.size} analysis size): ${statistics.timing.best.toFixed(2)} ms/image ` +
      `(median ${statistics.timing.median.toFixed(2)}); CPU ${statistics.timing.cpu.toFixed(2)} ms/image`
  );
  console.log(`end to end (best of 3 runs of ${total} images; with the text check, of ${textTotal}):`);
  for (const row of rows) console.log(row);
  console.log(`  ${DRAFTS} per call vs one by one: max |Δ| of score/cosine ${maxDiff.toExponential(2)}`);
}

async function main(): Promise<void> {
  if (values.child) return child(values.model!);
  const models = values.model ? [values.model] : ['tiny', 'vit-b-32'];
  if (models.includes('vit-b-32')) ensureVitB32();
  const cpu = cpus();
  console.log(
    `thumbgate scoring benchmark — ${new Date().toISOString()}\n` +
      `machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${mb(totalmem())} MB RAM; node ${process.version}; ` +
      `onnxruntime-node ${(await import('onnxruntime-node/package.json', { with: { type: 'json' } })).default.version}; ` +
      `sharp ${sharp.versions.sharp}; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}` +
      `${process.env.MALLOC_ARENA_MAX ? `; MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX}` : ''}\n` +
      `input: ${DRAFTS} distinct ${WIDTH}x${HEIGHT} JPEG drafts (emulator flux-schnell, with lettering); ` +
      `end to end = header check, decode, CLIP preprocessing, pixel statistics, inference (and OCR)\n`
  );
  const imageDir = mkdtempSync(join(tmpdir(), 'thumbgate-bench-'));
  try {
    await writeDrafts(imageDir);
    for (const name of models) {
      const args = ['--child', '--model', name, '--images', values.images, '--text-images', values['text-images']];
      const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, ...args, '--image-dir', imageDir], {
        stdio: 'inherit',
      });
      if (r.status !== 0) process.exitCode = 1;
    }
  } finally {
    rmSync(imageDir, { recursive: true, force: true });
  }
  console.log(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`
  );
}

await main();
