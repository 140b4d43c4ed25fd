import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { LocalBlobStore } from '../../node/blob-store.js';
import {
  AestheticHeadMismatchError,
  ClipModelProvider,
  DEFAULT_AESTHETIC_HEAD_DIR,
  aestheticMethodFromEnv,
  applyAestheticHead,
  createScoringActivities,
  headBindingProblem,
  loadAestheticHead,
  loadClipModel,
  type ClipModel,
} from '../../activities/scoring/index.js';
import type { BlobRef } from '../../shared/blob-ref.js';
import { LAION_RATING_CURVE, aestheticFromRating } from '../../shared/scoring.js';
import { HEIGHT, WIDTH, blurredScenePng, scenePng } from './fixtures.js';
import { tinyModelConfig } from './tiny-model.js';

const head = loadAestheticHead();
const reference = JSON.parse(readFileSync(join(DEFAULT_AESTHETIC_HEAD_DIR, 'reference-embeddings.json'), 'utf8')) as {
  embeddings: number[][];
  expected_scores: number[];
};

describe('the LAION aesthetic head', () => {
  test('is the ViT-B/32 linear head: 512 weights, bound to Xenova/clip-vit-base-patch32', () => {
    expect(head.embeddingSize).toBe(512);
    expect(head.weight).toHaveLength(512);
    expect(head.clipModels).toEqual(['Xenova/clip-vit-base-patch32']);
    expect(head.bias).toBeCloseTo(3.42147088, 7);
  });

  test('rates the ten reference embeddings as the reference does (±1e-3), in increasing order', () => {
    expect(reference.embeddings).toHaveLength(10);
    const ratings = reference.embeddings.map((e) => applyAestheticHead(head, e));
    ratings.forEach((r, i) => expect(Math.abs(r - reference.expected_scores[i]!)).toBeLessThan(1e-3));
    for (let i = 1; i < ratings.length; i++) expect(ratings[i]!).toBeGreaterThan(ratings[i - 1]!);
    // The [0, 1] component keeps the order and stays strictly inside (0, 1), even at -1.47 and 11.01.
    const scores = ratings.map(aestheticFromRating);
    for (let i = 1; i < scores.length; i++) expect(scores[i]!).toBeGreaterThan(scores[i - 1]!);
    expect(scores[0]!).toBeCloseTo(0.0095, 4);
    expect(scores[9]!).toBeCloseTo(0.9752, 4);
  });

  test('normalises the embedding itself: scaling it does not change the rating', () => {
    const e = reference.embeddings[4]!;
    expect(
      applyAestheticHead(
        head,
        e.map((v) => v * 7.5)
      )
    ).toBeCloseTo(applyAestheticHead(head, e), 10);
  });

  test('refuses an embedding of another width', () => {
    expect(() => applyAestheticHead(head, new Float32Array(768))).toThrow(AestheticHeadMismatchError);
    expect(() => applyAestheticHead(head, new Float32Array(768))).toThrow('takes 512-value embeddings, got 768');
  });
});

describe('the rating → [0, 1] curve', () => {
  test('is a logistic centred on 5.5 with scale 1.5', () => {
    expect(LAION_RATING_CURVE).toEqual({ centre: 5.5, scale: 1.5 });
    expect(aestheticFromRating(5.5)).toBe(0.5);
    expect(aestheticFromRating(1)).toBeCloseTo(1 / (1 + Math.exp(3)), 12); // 0.047
    expect(aestheticFromRating(10)).toBeCloseTo(1 / (1 + Math.exp(-3)), 12); // 0.953
    for (const d of [0.5, 1, 2, 4])
      expect(aestheticFromRating(5.5 + d) + aestheticFromRating(5.5 - d)).toBeCloseTo(1, 12);
  });

  test('is monotone and stays in [0, 1] for any finite rating', () => {
    let last = -Infinity;
    for (let r = -20; r <= 30; r += 0.25) {
      const s = aestheticFromRating(r);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(1);
      expect(s).toBeGreaterThanOrEqual(last);
      last = s;
    }
  });
});

describe('the head is bound to its CLIP', () => {
  test('accepts its own model and the random-weight stand-ins, refuses every other model', () => {
    const problem = (id: string, embeddingSize: number, randomWeights: boolean) =>
      headBindingProblem(head, { id, embeddingSize, randomWeights });
    expect(problem('Xenova/clip-vit-base-patch32', 512, false)).toBeUndefined();
    expect(problem('tiny-clip', 512, true)).toBeUndefined();

    const other = problem('Xenova/clip-vit-large-patch14', 768, false);
    expect(other).toContain('refused for the configured CLIP "Xenova/clip-vit-large-patch14"');
    expect(other).toContain('not a model the head was trained on');
    expect(other).toContain('THUMBGATE_AESTHETIC=clip-iqa');

    // Same width, other model: still refused (the width alone does not make it the head's CLIP).
    expect(problem('laion/CLIP-ViT-B-32-laion2B', 512, false)).toContain('not a model the head was trained on');
    // A stand-in name without the random-weights flag is not a stand-in.
    expect(problem('tiny-clip', 512, false)).toContain('does not say thumbgate_random_weights');
    // Its own model id with another width (e.g. a broken export) is refused too, and the advice is to
    // replace the files, not to configure the model that is already configured.
    const wrongFiles = problem('Xenova/clip-vit-base-patch32', 32, false);
    expect(wrongFiles).toContain('the files loaded as "Xenova/clip-vit-base-patch32" give 32-value embeddings');
    expect(wrongFiles).toContain('Replace the model folder');
    expect(wrongFiles).not.toContain('Either score with');
  });

  test('the committed tiny CLIP has a 512-wide projection, so it runs the real head path', async () => {
    const model = await loadClipModel(tinyModelConfig());
    expect(model.embeddingSize).toBe(512);
    expect(model.randomWeights).toBe(true);
    expect(headBindingProblem(head, model)).toBeUndefined();
  });
});

describe('scoreCandidates with the LAION head (the default) and with CLIP-IQA', () => {
  let root: string;
  let store: LocalBlobStore;
  let refs: BlobRef[];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'thumbgate-laion-'));
    store = new LocalBlobStore(root);
    const images = await Promise.all([scenePng(1), blurredScenePng(2)]);
    refs = await Promise.all(images.map((b) => store.put(b, 'image/png')));
  });

  afterAll(() => rm(root, { recursive: true, force: true }));

  const input = () => ({ prompt: 'a travel vlog thumbnail', images: refs, width: WIDTH, height: HEIGHT });

  test('by default the aesthetic is the head rating through the curve, and the rating is kept', async () => {
    const { scoreCandidates } = createScoringActivities({
      store,
      model: new ClipModelProvider(tinyModelConfig()),
      aesthetic: aestheticMethodFromEnv({}),
    });
    const result = await scoreCandidates(input());
    expect(result.scorer.aesthetic).toEqual({
      method: 'laion',
      head: head.name,
      clipModel: 'Xenova/clip-vit-base-patch32',
      curve: '1 / (1 + exp(-(rating - 5.5) / 1.5))',
    });
    expect(result.scorer.aestheticPrompts).toEqual([]);
    expect(result.scorer.randomWeights).toBe(true);
    for (const s of result.scores) {
      expect(Number.isFinite(s.aestheticRating)).toBe(true);
      expect(s.aesthetic).toBeCloseTo(aestheticFromRating(s.aestheticRating!), 12);
      expect(s.randomWeights).toBe(true);
    }
  });

  test('CLIP-IQA stays selectable: no rating, the prompt pairs are reported', async () => {
    const { scoreCandidates } = createScoringActivities({
      store,
      model: new ClipModelProvider(tinyModelConfig()),
      aesthetic: aestheticMethodFromEnv({ THUMBGATE_AESTHETIC: 'clip-iqa' }),
    });
    const result = await scoreCandidates(input());
    expect(result.scorer.aesthetic).toEqual({ method: 'clip-iqa' });
    expect(result.scorer.aestheticPrompts).toEqual([['Good photo.', 'Bad photo.']]);
    for (const s of result.scores) expect(s).not.toHaveProperty('aestheticRating');
  });

  test('a worker whose CLIP is not the head’s fails non-retryably with the reason and the fixes', async () => {
    const large = { id: 'Xenova/clip-vit-large-patch14', embeddingSize: 768, randomWeights: false } as ClipModel;
    const model = new ClipModelProvider(tinyModelConfig(), () => Promise.resolve(large));
    const { scoreCandidates } = createScoringActivities({ store, model, aesthetic: 'laion' });
    const err = await scoreCandidates(input()).then(
      () => undefined,
      (e: unknown) => e
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'ScoringAestheticHeadMismatch', nonRetryable: true });
    expect((err as Error).message).toContain('Xenova/clip-vit-large-patch14');
    expect((err as Error).message).toContain('THUMBGATE_AESTHETIC=clip-iqa');
  });

  test('THUMBGATE_AESTHETIC chooses the method; anything else is rejected', () => {
    expect(aestheticMethodFromEnv({})).toBe('laion');
    expect(aestheticMethodFromEnv({ THUMBGATE_AESTHETIC: ' CLIP-IQA ' })).toBe('clip-iqa');
    expect(aestheticMethodFromEnv({ THUMBGATE_AESTHETIC: 'laion' })).toBe('laion');
    expect(() => aestheticMethodFromEnv({ THUMBGATE_AESTHETIC: 'nima' })).toThrow(
      'THUMBGATE_AESTHETIC must be laion or clip-iqa'
    );
  });
});
