/**
 * Buys one world's pool from an in-process emulator and scores it once, exactly as the scoring
 * worker does (createScoringActivities: the activity's own entry point, with the committed tiny CLIP
 * and the OCR pool), then joins every image with the emulator's ground truth from its request log.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ClipModelProvider,
  TINY_CLIP_MODEL,
  clipModelConfigFromEnv,
  createOcrPool,
  createScoringActivities,
} from '../../activities/scoring/index.js';
import { SegmindClient } from '../../activities/segmind/client.js';
import { quotedText } from '../../emulator/lettering.js';
import { createEmulator, type Emulator } from '../../emulator/server.js';
import { LocalBlobStore } from '../../node/blob-store.js';
import { projectRoot } from '../../node/paths.js';
import { DEFAULT_BATCH_OPTIONS } from '../../shared/batch-options.js';
import type { BlobRef } from '../../shared/blob-ref.js';
import { requestForBrief } from '../../shared/brief-request.js';
import type { FluxModel } from '../../shared/price-card.js';
import type { ThumbnailBrief } from '../../shared/thumbnail-brief.js';
import type { BriefPool, Candidate, World, WorldPool } from './pool.js';

export interface BuyOptions {
  /** Drafts bought per brief (the most any policy may use). */
  drafts: number;
  /** Multiplies the emulator's simulated latency (0.01: a realistic shape, 100× faster). */
  latencyScale: number;
  /** Briefs bought and scored at once. */
  concurrency: number;
  onProgress?: (done: number, total: number) => void;
}

interface Bought {
  model: FluxModel;
  seed: number;
  /** The provider's request id (x-request-id): the key into the emulator's request log. */
  requestId: string;
  ref: BlobRef;
  buyMs: number;
}

/** Seeds per (phase, index): distinct per candidate, the same on every run. */
const seedOf = (phase: 'draft' | 'reroll', index: number): number => (phase === 'draft' ? 1 + index : 1001 + index);

export async function buyWorld(
  world: World,
  briefs: readonly ThumbnailBrief[],
  options: BuyOptions
): Promise<WorldPool> {
  const started = performance.now();
  const root = await mkdtemp(join(tmpdir(), 'bench-gate-'));
  const emulator: Emulator = await createEmulator({
    latencyScale: options.latencyScale,
    draftDefectRate: world.draftDefectRate,
    misspellingRate: world.misspellingRate,
    creditsMicros: 1_000_000_000_000,
  });
  const ocr = createOcrPool();
  try {
    const store = new LocalBlobStore(root);
    const client = new SegmindClient({ apiKey: emulator.apiKey, baseUrl: emulator.url });
    const model = new ClipModelProvider(
      clipModelConfigFromEnv(
        {},
        {
          modelId: TINY_CLIP_MODEL,
          modelDir: join(projectRoot, 'models'),
          cacheDir: join(projectRoot, '.cache', 'bench-gate', 'no-downloads'),
          allowRemote: false,
        }
      )
    );
    // The scoring worker's own construction (worker/create-workers.ts): store, model, OCR, default weights.
    const { scoreCandidates } = createScoringActivities({ store, model, ocr });
    const { draftModel, draftSteps, rerollModel } = DEFAULT_BATCH_OPTIONS;

    const buy = async (brief: ThumbnailBrief, m: FluxModel, seed: number, steps?: number): Promise<Bought> => {
      const t0 = performance.now();
      const image = await client.generate({ ...requestForBrief(brief, m, steps), seed });
      const ref = await store.put(image.bytes, image.contentType);
      return { model: m, seed, requestId: image.billed.requestId, ref, buyMs: performance.now() - t0 };
    };
    /** One scoring call per phase, as the thumbnail workflow makes it. */
    const score = async (prompt: string, bought: Bought[]) => {
      const t0 = performance.now();
      const result = await scoreCandidates({ prompt, images: bought.map((b) => b.ref) });
      const perImage = (performance.now() - t0) / bought.length;
      return { result, perImage };
    };

    const raw: { brief: ThumbnailBrief; drafts: Bought[]; reroll: Bought; scores: number[]; scoreMs: number[] }[] = [];
    let scorer: WorldPool['scorer'] | undefined;
    let next = 0;
    const worker = async () => {
      while (next < briefs.length) {
        const brief = briefs[next++]!;
        const [drafts, reroll] = await Promise.all([
          Promise.all(
            Array.from({ length: options.drafts }, (_, i) => buy(brief, draftModel, seedOf('draft', i), draftSteps))
          ),
          buy(brief, rerollModel, seedOf('reroll', 0)),
        ]);
        const d = await score(brief.prompt, drafts);
        const r = await score(brief.prompt, [reroll]);
        const info = d.result.scorer;
        scorer ??= {
          modelId: info.modelId,
          randomWeights: info.randomWeights,
          aesthetic: info.aesthetic?.method ?? 'clip-iqa',
        };
        raw.push({
          brief,
          drafts,
          reroll,
          scores: [...d.result.scores, ...r.result.scores].map((s) => s.score),
          scoreMs: [...drafts.map(() => d.perImage), r.perImage],
        });
        options.onProgress?.(raw.length, briefs.length);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));

    const truth = groundTruth(emulator);
    const order = new Map(briefs.map((b, i) => [b.id, i]));
    raw.sort((a, b) => order.get(a.brief.id)! - order.get(b.brief.id)!);
    const pools: BriefPool[] = raw.map(({ brief, drafts, reroll, scores, scoreMs }) => {
      const join = (b: Bought, phase: Candidate['phase'], index: number, at: number): Candidate =>
        candidate(brief, b, phase, index, scores[at]!, scoreMs[at]!, truth);
      return {
        id: brief.id,
        drafts: drafts.map((b, i) => join(b, 'draft', i, i)),
        rerolls: [join(reroll, 'reroll', 0, drafts.length)],
      };
    });
    return {
      world,
      briefs: pools,
      scorer: scorer ?? { modelId: TINY_CLIP_MODEL, randomWeights: true, aesthetic: 'laion' },
      billedMicros: emulator.totalBilledMicros(),
      wallMs: performance.now() - started,
    };
  } finally {
    await ocr.terminate();
    await emulator.close();
    await rm(root, { recursive: true, force: true });
  }
}

interface Truth {
  defect: string;
  renderedText?: string;
  costMicros: number;
  requests: number;
}

/**
 * The emulator's request log by request id: what it drew, what it billed and how many requests the
 * image took (one over v1, which the bench buys with; a v2 job's status polls and download share its id).
 */
function groundTruth(emulator: Emulator): Map<string, Truth> {
  const byKey = new Map<string, Truth>();
  for (const r of emulator.requests()) {
    const key = r.requestId;
    const t = byKey.get(key) ?? { defect: 'clean', costMicros: 0, requests: 0 };
    t.requests += 1;
    t.costMicros += r.costMicros;
    if (r.outcome === 'ok') {
      t.defect = r.defect ?? 'clean';
      if (r.renderedText !== undefined) t.renderedText = r.renderedText;
    }
    byKey.set(key, t);
  }
  return byKey;
}

function candidate(
  brief: ThumbnailBrief,
  b: Bought,
  phase: Candidate['phase'],
  index: number,
  score: number,
  scoreMs: number,
  truth: Map<string, Truth>
): Candidate {
  const t = truth.get(b.requestId);
  if (!t)
    throw new Error(
      `the emulator's request log has no request ${b.requestId} (${brief.id}, ${b.model} seed ${b.seed})`
    );
  // What the brief asks to see, as the emulator letters it (its own quote parser, upper-cased).
  const asked = quotedText(brief.prompt)?.toUpperCase();
  const spelt = asked === undefined || t.renderedText === asked;
  return {
    phase,
    index,
    model: b.model,
    seed: b.seed,
    score,
    defect: t.defect,
    ...(asked === undefined ? {} : { askedText: asked }),
    ...(t.renderedText === undefined ? {} : { paintedText: t.renderedText }),
    usable: t.defect === 'clean' && spelt,
    costMicros: t.costMicros,
    requests: t.requests,
    buyMs: b.buyMs,
    scoreMs,
  };
}
