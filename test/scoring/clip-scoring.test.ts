import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ClipModelUnavailableError } from '../../activities/scoring/model/errors.js';
import { LocalBlobStore } from '../../node/blob-store.js';
import {
  ClipModelProvider,
  createScoringActivities,
  loadClipModel,
  type ClipModelConfig,
} from '../../activities/scoring/index.js';
import type { BlobRef } from '../../shared/blob-ref.js';
import type { ScoreCandidatesInput } from '../../shared/scoring.js';
import {
  HEIGHT,
  WIDTH,
  blurredScenePng,
  darkScenePng,
  sceneJpeg,
  scenePng,
  sceneWebp,
  wrongSizePng,
} from './fixtures.js';
import { tinyModelConfig } from './tiny-model.js';
import { applicationFailure } from '../helpers/rejection.js';

const PROMPT = 'a cooking video thumbnail with a bowl of ramen';

let root: string;
let store: LocalBlobStore;
let refs: BlobRef[];
let loads: number;
const config = tinyModelConfig();

function countingProvider(c: ClipModelConfig = config): ClipModelProvider {
  return new ClipModelProvider(c, (cfg, options) => {
    loads++;
    return loadClipModel(cfg, options);
  });
}

function input(images: BlobRef[], prompt = PROMPT): ScoreCandidatesInput {
  return { prompt, images, width: WIDTH, height: HEIGHT };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'thumbgate-scoring-'));
  store = new LocalBlobStore(root);
  const images = await Promise.all([scenePng(1), sceneJpeg(2), sceneWebp(3), blurredScenePng(1), darkScenePng(1)]);
  refs = await Promise.all(images.map((bytes) => store.put(bytes, 'image/png')));
});

afterAll(() => rm(root, { recursive: true, force: true }));

beforeEach(() => {
  loads = 0;
});

describe('scoreCandidates on the tiny random-weight CLIP', () => {
  test('returns one score per image, in order, with its components, in the documented ranges', async () => {
    const { scoreCandidates } = createScoringActivities({ store, model: countingProvider() });
    const result = await scoreCandidates(input(refs));
    expect(result.scorer).toMatchObject({ modelId: 'tiny-clip', randomWeights: true });
    expect(result.scores.map((s) => s.sha256)).toEqual(refs.map((r) => r.sha256));
    expect(result.scores.map((s) => s.index)).toEqual(refs.map((_, i) => i));
    for (const s of result.scores) {
      expect(s.randomWeights).toBe(true);
      for (const v of [s.score, s.aesthetic, s.alignment.normalized, s.technical.score]) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
      expect(s.alignment.cosine).toBeGreaterThanOrEqual(-1);
      expect(s.alignment.cosine).toBeLessThanOrEqual(1);
      expect(s.alignment.clipScore).toBeCloseTo(2.5 * Math.max(s.alignment.cosine, 0), 12);
      const w = result.scorer.weights;
      const expected =
        (w.aesthetic * s.aesthetic + w.alignment * s.alignment.normalized + w.technical * s.technical.score) /
        (w.aesthetic + w.alignment + w.technical);
      expect(s.score).toBeCloseTo(expected, 12);
    }
  });

  test('scores are deterministic: the same input gives the same result on a fresh model', async () => {
    const first = await createScoringActivities({ store, model: countingProvider() }).scoreCandidates(input(refs));
    const second = await createScoringActivities({ store, model: countingProvider() }).scoreCandidates(input(refs));
    expect(loads).toBe(2);
    expect(second).toEqual(first);
  });

  test('a batch and one-by-one scoring agree to 1e-5', async () => {
    const { scoreCandidates } = createScoringActivities({ store, model: countingProvider() });
    const batch = await scoreCandidates(input(refs));
    for (const [i, ref] of refs.entries()) {
      const [one] = (await scoreCandidates(input([ref]))).scores;
      const b = batch.scores[i]!;
      expect(Math.abs(one!.score - b.score)).toBeLessThan(1e-5);
      expect(Math.abs(one!.aesthetic - b.aesthetic)).toBeLessThan(1e-5);
      expect(Math.abs(one!.alignment.cosine - b.alignment.cosine)).toBeLessThan(1e-5);
      expect(one!.technical).toEqual(b.technical);
    }
  });

  test('eight concurrent first calls load the model once and agree', async () => {
    const { scoreCandidates } = createScoringActivities({ store, model: countingProvider() });
    const results = await Promise.all(Array.from({ length: 8 }, () => scoreCandidates(input(refs.slice(0, 4)))));
    expect(loads).toBe(1);
    for (const r of results) expect(r).toEqual(results[0]);
  });

  test('text embeddings are computed once per prompt and come L2-normalised', async () => {
    const model = await loadClipModel(config);
    const first = await model.embedText(PROMPT);
    expect(await model.embedText(PROMPT)).toBe(first);
    expect(Math.hypot(...first)).toBeCloseTo(1, 5);
    expect(first.length).toBe(model.embeddingSize);
  });

  test('the prompt matters: alignment changes with the prompt, technical quality does not', async () => {
    const { scoreCandidates } = createScoringActivities({ store, model: countingProvider() });
    const a = await scoreCandidates(input(refs.slice(0, 1), 'a red sports car on a mountain road'));
    const b = await scoreCandidates(input(refs.slice(0, 1), 'a cat sleeping on a keyboard'));
    expect(a.scores[0]!.alignment.cosine).not.toBeCloseTo(b.scores[0]!.alignment.cosine, 6);
    expect(a.scores[0]!.technical).toEqual(b.scores[0]!.technical);
  });

  test('prompts longer than the text tower takes are truncated, not rejected', async () => {
    const { scoreCandidates } = createScoringActivities({ store, model: countingProvider() });
    const long = Array.from({ length: 120 }, (_, i) => `word${i}`).join(' ');
    const result = await scoreCandidates(input(refs.slice(0, 1), long));
    expect(Number.isFinite(result.scores[0]!.score)).toBe(true);
  });

  test('weights are configurable per worker and per call', async () => {
    const { scoreCandidates } = createScoringActivities({
      store,
      model: countingProvider(),
      weights: { aesthetic: 0, alignment: 0, technical: 1 },
    });
    const techOnly = await scoreCandidates(input(refs.slice(0, 2)));
    for (const s of techOnly.scores) expect(s.score).toBeCloseTo(s.technical.score, 12);
    const aestheticOnly = await scoreCandidates({
      ...input(refs.slice(0, 2)),
      weights: { aesthetic: 1, technical: 0 },
    });
    for (const s of aestheticOnly.scores) expect(s.score).toBeCloseTo(s.aesthetic, 12);
    const bad = await applicationFailure(scoreCandidates({ ...input(refs.slice(0, 1)), weights: { technical: -1 } }));
    expect(bad.type).toBe('ScoringInvalidInput');
    // Text alone cannot carry the score: most prompts quote no text, and then it is not measured.
    const textOnly = await applicationFailure(
      scoreCandidates({ ...input(refs.slice(0, 1)), weights: { aesthetic: 0, alignment: 0, technical: 0, text: 1 } })
    );
    expect(textOnly.type).toBe('ScoringInvalidInput');
    expect(textOnly.message).toContain('score weights aesthetic, alignment and technical must not all be 0');
  });

  test('the CLIP-IQA aesthetic without a prompt pair is refused when the worker starts', () => {
    expect(() =>
      createScoringActivities({ store, model: countingProvider(), aesthetic: 'clip-iqa', aestheticPrompts: [] })
    ).toThrow('aestheticPrompts must hold at least one pair for the CLIP-IQA aesthetic');
    // With the LAION head the pairs are not used, so an empty list is fine.
    expect(() =>
      createScoringActivities({ store, model: countingProvider(), aesthetic: 'laion', aestheticPrompts: [] })
    ).not.toThrow();
  });
});

describe('scoreCandidates failures', () => {
  test('a missing model fails non-retryably, naming the model, folders, files and fixes', async () => {
    const missing = tinyModelConfig({ modelId: 'no-such-clip', modelDir: join(root, 'models') });
    const { scoreCandidates } = createScoringActivities({ store, model: countingProvider(missing) });
    const failure = await applicationFailure(scoreCandidates(input(refs.slice(0, 1))));
    expect(failure.nonRetryable).toBe(true);
    expect(failure.type).toBe('ScoringModelUnavailable');
    expect(failure.message).toContain('"no-such-clip"');
    expect(failure.message).toContain(join(root, 'models', 'no-such-clip'));
    expect(failure.message).toContain(join(missing.cacheDir, 'no-such-clip'));
    expect(failure.message).toContain('onnx/vision_model_quantized.onnx');
    expect(failure.message).toContain('THUMBGATE_ALLOW_REMOTE_MODELS=false');
    expect(failure.message).toContain('npm run models:pull');
  });

  test('a model folder with a file missing is reported with that file', async () => {
    const partial = tinyModelConfig({ quantized: false });
    const failure = await applicationFailure(
      createScoringActivities({ store, model: countingProvider(partial) }).scoreCandidates(input(refs.slice(0, 1)))
    );
    expect(failure.type).toBe('ScoringModelUnavailable');
    expect(failure.message).toMatch(/missing onnx\/vision_model\.onnx, onnx\/text_model\.onnx/);
  });

  test('a model folder with every file but a damaged one: replace the folder (downloading is not the fix)', async () => {
    const models = join(root, 'damaged-models');
    await cp(join(config.modelDir, config.modelId), join(models, 'broken-clip'), { recursive: true });
    await writeFile(join(models, 'broken-clip', 'onnx', 'vision_model_quantized.onnx'), 'not an ONNX graph');
    const broken = tinyModelConfig({ modelId: 'broken-clip', modelDir: models, allowRemote: true });
    const failure = await applicationFailure(
      createScoringActivities({ store, model: countingProvider(broken) }).scoreCandidates(input(refs.slice(0, 1)))
    );
    expect(failure.type).toBe('ScoringModelUnavailable');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(`the files in ${join(models, 'broken-clip')}/ are there but could not be used`);
    expect(failure.message).toContain('Replace that folder');
    expect(failure.message).not.toContain('downloading from the Hugging Face hub was allowed');
  });

  test('a config.json without projection_dim is refused at load, not scored with a guessed width', async () => {
    const models = join(root, 'no-projection-models');
    await cp(join(config.modelDir, config.modelId), join(models, 'no-projection'), { recursive: true });
    const file = join(models, 'no-projection', 'config.json');
    const { projection_dim: _, ...rest } = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify(rest));
    const failure = await applicationFailure(
      createScoringActivities({
        store,
        model: countingProvider(tinyModelConfig({ modelId: 'no-projection', modelDir: models })),
      }).scoreCandidates(input(refs.slice(0, 1)))
    );
    expect(failure.type).toBe('ScoringModelUnavailable');
    expect(failure.message).toContain('config.json has no projection_dim');
  });

  test('non-images and wrong-size images fail non-retryably with a clear message', async () => {
    const { scoreCandidates } = createScoringActivities({ store, model: countingProvider() });
    const text = await store.put(Buffer.from('{"error":"quota exceeded"}'), 'image/png');
    const notImage = await applicationFailure(scoreCandidates(input([refs[0]!, text])));
    expect(notImage).toMatchObject({ nonRetryable: true, type: 'ScoringInvalidImage' });
    expect(notImage.message).toContain('image 1');
    const small = await store.put(await wrongSizePng(), 'image/png');
    const wrongSize = await applicationFailure(scoreCandidates(input([small])));
    expect(wrongSize).toMatchObject({ nonRetryable: true, type: 'ScoringWrongImageSize' });
    expect(wrongSize.message).toContain(`is 320x240, expected ${WIDTH}x${HEIGHT}`);
  });

  test('an image missing from the store fails non-retryably', async () => {
    const { scoreCandidates } = createScoringActivities({ store, model: countingProvider() });
    const ghost = { sha256: 'f'.repeat(64), bytes: 1, contentType: 'image/png' };
    const failure = await applicationFailure(scoreCandidates(input([ghost])));
    expect(failure).toMatchObject({ nonRetryable: true, type: 'ScoringImageMissing' });
  });

  test('bad input fails non-retryably', async () => {
    const { scoreCandidates } = createScoringActivities({ store, model: countingProvider() });
    const failure = await applicationFailure(scoreCandidates({ ...input(refs.slice(0, 1)), width: 0 }));
    expect(failure).toMatchObject({ nonRetryable: true, type: 'ScoringInvalidInput' });
    expect(loads).toBe(0);
  });
});

describe('scoring heartbeats, so a crashed scoring worker is noticed within a minute', () => {
  test('inside an activity it heartbeats while the model loads and scores', async () => {
    const env = new MockActivityEnvironment();
    let beats = 0;
    env.on('heartbeat', () => (beats += 1));
    const { scoreCandidates } = createScoringActivities({ store, model: countingProvider() });
    const result = await env.run(scoreCandidates, input(refs.slice(0, 2)));
    expect((result as { scores: unknown[] }).scores).toHaveLength(2);
    expect(beats).toBeGreaterThanOrEqual(1);
  });

  test('a model that fails to download is retried; a model that is not there stops the batch', async () => {
    const offline = (message: string) =>
      new ClipModelProvider({ ...config, modelId: 'no-such-model', allowRemote: true }, (cfg) =>
        Promise.reject(new ClipModelUnavailableError(cfg, [{ folder: '/nowhere', missing: ['config.json'] }], message))
      );
    const flaky = await applicationFailure(
      createScoringActivities({ store, model: offline('fetch failed') }).scoreCandidates(input(refs.slice(0, 1)))
    );
    expect(flaky).toMatchObject({ type: 'ScoringModelDownloadFailed', nonRetryable: false });
    const gone = await applicationFailure(
      createScoringActivities({ store, model: offline('Could not locate file') }).scoreCandidates(
        input(refs.slice(0, 1))
      )
    );
    expect(gone).toMatchObject({ type: 'ScoringModelUnavailable', nonRetryable: true });
  });
});
