/**
 * A hand-made finished batch in a temporary LocalBlobStore: real (tiny, solid-colour) images and
 * result records as the thumbnail workflow would have saved them, so the writer runs without Temporal.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { resultKey, resultsNamespace } from '../../activities/batch-records.js';
import { SCRIPT_NOT_COVERED } from '../../activities/scoring/requested-text.js';
import { LocalBlobStore } from '../../node/blob-store.js';
import type { BatchCost, RerollDecision } from '../../shared/batch-workflow.js';
import type { BlobRef } from '../../shared/blob-ref.js';
import type { LedgerEntry, Phase } from '../../shared/generation.js';
import { addToTotals, emptyTotals, type LedgerTotals } from '../../shared/ledger.js';
import type { FluxModel } from '../../shared/price-card.js';
import {
  alignmentFromCosine,
  combineScore,
  type CandidateScore,
  type ScoreWeights,
  type ScorerInfo,
  type TextCheck,
} from '../../shared/scoring.js';
import type { ThumbnailBrief } from '../../shared/thumbnail-brief.js';
import type { ScoredCandidate, ThumbnailWorkflowResult } from '../../shared/thumbnail-workflow.js';
import { failedResult, okResult } from '../helpers/results.js';

export const BATCH_ID = 'batch-7';
export type Rgb = [number, number, number];

/** A solid-colour image; the winner file's mean colour tells which original it came from. */
export async function solidImage(colour: Rgb, width: number, height: number, format: 'png' | 'jpeg'): Promise<Buffer> {
  const img = sharp({
    create: { width, height, channels: 3, background: { r: colour[0], g: colour[1], b: colour[2] } },
  });
  return format === 'png' ? img.png().toBuffer() : img.jpeg({ quality: 95 }).toBuffer();
}

export function scorer(randomWeights: boolean): ScorerInfo {
  return {
    modelId: 'test/clip-tiny-random',
    randomWeights,
    weights: { aesthetic: 0.4, alignment: 0.4, technical: 0.2, text: 0.3 },
    aestheticPrompts: [['good photo', 'bad photo']],
  };
}

function detail(index: number, sha256: string, score: number, randomWeights: boolean): CandidateScore {
  return {
    index,
    sha256,
    score,
    aesthetic: score * 0.9,
    alignment: { cosine: 0.3, clipScore: 0.75, normalized: 0.75 },
    technical: {
      score: 0.6,
      sharpness: 0.5,
      exposure: 0.7,
      contrast: 0.6,
      colourfulness: 0.4,
      raw: { laplacianVariance: 12, meanLuminance: 0.5, clippedFraction: 0, rmsContrast: 0.2, colourfulness: 20 },
    },
    randomWeights,
  };
}

/**
 * A score detail made the way the scorer makes one: the real `alignmentFromCosine` and `combineScore`
 * with the phase's weights, so the score is the weighted mean of the components it shows (and an
 * unmeasured text check is left out of it, as the scorer leaves it out).
 */
function combinedDetail(
  index: number,
  sha256: string,
  c: SpecComponents,
  weights: ScoreWeights,
  randomWeights: boolean
): CandidateScore {
  const alignment = alignmentFromCosine(c.alignment / 2.5);
  const fidelity = c.text?.measured ? c.text.fidelity : undefined;
  const score = combineScore(
    {
      aesthetic: c.aesthetic,
      alignment: alignment.normalized,
      technical: c.technical,
      ...(fidelity === undefined ? {} : { text: fidelity }),
    },
    weights
  );
  const t = c.technical;
  return {
    index,
    sha256,
    score,
    aesthetic: c.aesthetic,
    ...(c.aestheticRating === undefined ? {} : { aestheticRating: c.aestheticRating }),
    alignment,
    technical: {
      score: t,
      sharpness: t,
      exposure: t,
      contrast: t,
      colourfulness: t,
      raw: { laplacianVariance: 12, meanLuminance: 0.5, clippedFraction: 0, rmsContrast: 0.2, colourfulness: 20 },
    },
    ...(c.text ? { text: c.text } : {}),
    randomWeights,
  };
}

let requestCounter = 0;

/** A candidate's measured components (each in [0, 1]); `alignment` is the normalised CLIPScore. */
export interface SpecComponents {
  aesthetic: number;
  alignment: number;
  technical: number;
  aestheticRating?: number;
  /** The requested-text check; its fidelity enters the score only when measured. */
  text?: TextCheck;
}

export type CandidateSpec = {
  colour: Rgb;
  /** A billed-but-unusable attempt before the one that produced the image. */
  unusableFirst?: boolean;
  requestId?: string;
} & (
  | {
      /** A hand-typed score (aesthetic 0.9 × score, the other components fixed: they do not add up to it). */
      score: number;
    }
  | {
      /** Real components; the score is `combineScore` of them with the scorer's weights. */
      components: SpecComponents;
    }
);

export interface Fixture {
  root: string;
  store: LocalBlobStore;
  outRoot: string;
  manifest: BlobRef;
  briefs: ThumbnailBrief[];
  rerolls: RerollDecision[];
  cost: BatchCost;
  results: ThumbnailWorkflowResult[];
}

export class BatchBuilder {
  readonly briefs: ThumbnailBrief[] = [];
  readonly rerolls: RerollDecision[] = [];
  readonly results: ThumbnailWorkflowResult[] = [];

  constructor(
    readonly store: LocalBlobStore,
    readonly randomWeights = true
  ) {}

  brief(id: string, prompt = `a thumbnail for ${id}`, metadata?: ThumbnailBrief['metadata']): ThumbnailBrief {
    const brief: ThumbnailBrief = { id, prompt, width: 320, height: 180, ...(metadata ? { metadata } : {}) };
    this.briefs.push(brief);
    return brief;
  }

  /** A stored, scored result of one phase: drafts 320×176 PNG on schnell, re-rolls 336×176 JPEG on 1.1-pro. */
  async result(id: string, phase: Phase, specs: CandidateSpec[]): Promise<ThumbnailWorkflowResult> {
    const model: FluxModel = phase === 'draft' ? 'flux-schnell' : 'flux-1.1-pro';
    const [width, height] = phase === 'draft' ? [320, 176] : [336, 176];
    const ledger: LedgerEntry[] = [];
    const candidates: ScoredCandidate[] = [];
    const weights = scorer(this.randomWeights).weights;
    for (const [i, spec] of specs.entries()) {
      const bytes = await solidImage(spec.colour, width, height, phase === 'draft' ? 'png' : 'jpeg');
      const image = await this.store.put(bytes, phase === 'draft' ? 'image/png' : 'image/jpeg');
      const gpuSeconds = 1.1 + i / 100;
      const cost = (gpu: number): number => (phase === 'draft' ? Math.round(gpu * 7200) : 50_000);
      let attempt = 1;
      if (spec.unusableFirst) {
        ledger.push({
          requestId: `req-${++requestCounter}-unusable`,
          thumbnailId: id,
          phase,
          candidateIndex: i,
          model,
          pricingMode: phase === 'draft' ? 'gpu-second' : 'flat',
          ...(phase === 'draft' ? { gpuSeconds: 0.913 } : {}),
          costMicros: cost(0.913),
          basis: 'provider',
          attempt,
          creditsRemainingMicros: 9_000_000,
          outcome: 'unusable',
        });
        attempt += 1;
      }
      const requestId = spec.requestId ?? `req-${++requestCounter}`;
      const billed = {
        requestId,
        model,
        pricingMode: phase === 'draft' ? ('gpu-second' as const) : ('flat' as const),
        ...(phase === 'draft' ? { gpuSeconds } : {}),
        costMicros: cost(gpuSeconds),
        basis: 'provider' as const,
        creditsRemainingMicros: 8_500_000,
      };
      ledger.push({ ...billed, thumbnailId: id, phase, candidateIndex: i, attempt, outcome: 'image' });
      const scoreDetail =
        'components' in spec
          ? combinedDetail(i, image.sha256, spec.components, weights, this.randomWeights)
          : detail(i, image.sha256, spec.score, this.randomWeights);
      candidates.push({
        batchId: BATCH_ID,
        thumbnailId: id,
        phase,
        candidateIndex: i,
        candidateKey: `${id}-${phase}-${i}`,
        image,
        width,
        height,
        model,
        seed: 1000 + i,
        billed,
        attempt,
        reused: false,
        score: scoreDetail.score,
        scoreDetail,
      });
    }
    return this.save(okResult(id, candidates, { ...this.slot(phase), ledger, scorer: scorer(this.randomWeights) }));
  }

  /** A phase where every candidate failed; `billedUnusable` adds a call that was charged anyway. */
  async failedResult(
    id: string,
    phase: Phase,
    reason: string,
    billedUnusable: boolean
  ): Promise<ThumbnailWorkflowResult> {
    const ledger: LedgerEntry[] = [];
    if (billedUnusable) {
      ledger.push({
        requestId: `req-${++requestCounter}-truncated`,
        thumbnailId: id,
        phase,
        candidateIndex: 0,
        model: 'flux-schnell',
        pricingMode: 'gpu-second',
        gpuSeconds: 1.234,
        costMicros: Math.round(1.234 * 7200),
        basis: 'provider',
        attempt: 1,
        outcome: 'unusable',
      });
    }
    return this.save(failedResult(id, 'ProviderInvalidRequest', reason, { ...this.slot(phase), ledger }));
  }

  /** The batch's results are bound to its manifest, which `finish` stores last. */
  private slot(phase: Phase) {
    return { batchId: BATCH_ID, manifestSha256: '', phase }; // manifestSha256: set by finish()
  }

  /** Results are stored by `finish`, once the manifest (which their records are bound to) is known. */
  private save(result: ThumbnailWorkflowResult): Promise<ThumbnailWorkflowResult> {
    this.results.push(result);
    return Promise.resolve(result);
  }

  async finish(root: string, outRoot: string): Promise<Fixture> {
    const manifest = await this.store.put(
      Buffer.from(this.briefs.map((b) => JSON.stringify(b)).join('\n') + '\n'),
      'application/x-ndjson'
    );
    for (const result of this.results) {
      result.manifestSha256 = manifest.sha256;
      const namespace = resultsNamespace(BATCH_ID, manifest.sha256);
      await this.store.putRecord(namespace, resultKey(result.thumbnailId, result.phase), result);
    }
    const totals: LedgerTotals = emptyTotals();
    for (const r of this.results) for (const e of r.ledger) addToTotals(totals, e);
    const usable = this.results.filter((r) => r.phase === 'draft' && r.ok).length;
    const n = this.briefs.length;
    const cost: BatchCost = {
      batchId: BATCH_ID,
      totals,
      usableThumbnails: usable,
      costPerUsableMicros: usable > 0 ? Math.round(totals.costMicros / usable) : 0,
      counterfactuals: [
        {
          label: 'seed expectation (4 × flux-schnell + 10% × flux-1.1-pro)',
          totalMicros: 37_000 * n,
          perThumbnailMicros: 37_000,
        },
        { label: 'everything on flux-1.1-pro', totalMicros: 50_000 * n, perThumbnailMicros: 50_000 },
      ],
      recentThumbnails: [],
    };
    return {
      root,
      store: this.store,
      outRoot,
      manifest,
      briefs: this.briefs,
      rerolls: this.rerolls,
      cost,
      results: this.results,
    };
  }
}

export const COLOURS = {
  red: [220, 30, 30] as Rgb,
  green: [30, 200, 60] as Rgb,
  blue: [30, 60, 220] as Rgb,
  yellow: [230, 210, 40] as Rgb,
  magenta: [200, 40, 200] as Rgb,
  cyan: [40, 200, 210] as Rgb,
  grey: [128, 128, 128] as Rgb,
};

export async function tempRoot(): Promise<{ root: string; store: LocalBlobStore; outRoot: string }> {
  const root = await mkdtemp(join(tmpdir(), 'thumbgate-outputs-'));
  return { root, store: new LocalBlobStore(join(root, 'store')), outRoot: join(root, 'out') };
}

/**
 * The standard batch: a draft win (with a billed-but-unusable retry and a prompt that tries to inject
 * a script), a re-roll win, a draft that beat its re-roll, a failed draft and a thumbnail whose
 * result was never stored.
 */
export async function standardBatch(randomWeights = true): Promise<Fixture> {
  const { root, store, outRoot } = await tempRoot();
  const b = new BatchBuilder(store, randomWeights);
  const { red, green, blue, yellow, magenta, cyan, grey } = COLOURS;

  b.brief('alpha', 'Chef <script>alert("x")</script> & "friends" flipping pancakes', {
    channel: 'Cook & Co',
    episode: 12,
  });
  await b.result('alpha', 'draft', [
    { colour: grey, score: 0.41 },
    { colour: blue, score: 0.52, unusableFirst: true },
    { colour: green, score: 0.83 },
    { colour: grey, score: 0.3, requestId: 'req,"quoted"' },
  ]);

  b.brief('bravo');
  await b.result('bravo', 'draft', [
    { colour: grey, score: 0.2 },
    { colour: yellow, score: 0.25 },
    { colour: grey, score: 0.21 },
    { colour: grey, score: 0.22 },
  ]);
  await b.result('bravo', 'reroll', [{ colour: magenta, score: 0.7 }]);
  b.rerolls.push({
    id: 'bravo',
    draftScore: 0.25,
    rerollScore: 0.7,
    winner: 'reroll',
    reason: "re-roll scored 0.700 over the draft's 0.250",
  });

  b.brief('charlie');
  await b.result('charlie', 'draft', [
    { colour: cyan, score: 0.33 },
    { colour: grey, score: 0.3 },
    { colour: grey, score: 0.31 },
    { colour: grey, score: 0.32 },
  ]);
  await b.result('charlie', 'reroll', [{ colour: red, score: 0.29 }]);
  b.rerolls.push({
    id: 'charlie',
    draftScore: 0.33,
    rerollScore: 0.29,
    winner: 'draft',
    reason: "the draft's 0.330 beat the re-roll's 0.290",
  });

  b.brief('delta');
  await b.failedResult('delta', 'draft', 'ProviderInvalidRequest: prompt was rejected', true);

  b.brief('echo');
  // No record at all: the thumbnail workflow failed before saving.

  return b.finish(root, outRoot);
}

/** Requested text that is also markup, and an OCR read that tries to close the table and run a script. */
export const HOSTILE_REQUESTED = `<b>"&'`;
export const HOSTILE_READ = '</td><script>x</script>';
export const DEVANAGARI = 'नमस्ते';
/** What the scorer says of text in a script the OCR data does not read. */
export const NOT_READ_REASON = SCRIPT_NOT_COVERED;

/**
 * A batch whose scores carry requested-text checks, every score made by the real `combineScore`:
 * - `golf`: text decides it. draft #1 read the (hostile) requested text exactly and wins despite
 *   draft #0's slightly better aesthetic and alignment; draft #0's OCR read is itself hostile markup;
 *   draft #2 read nothing.
 * - `hotel`: Devanagari was requested, which OCR does not read: every check is "not measured", and
 *   the scores are the weighted mean of the other three components (no text part, never a 0).
 */
export async function textCheckBatch(randomWeights = false): Promise<Fixture> {
  const { root, store, outRoot } = await tempRoot();
  const b = new BatchBuilder(store, randomWeights);
  const { green, blue, yellow, cyan, grey } = COLOURS;
  const read = (text: string, fidelity: number): TextCheck => ({
    requested: HOSTILE_REQUESTED,
    measured: true,
    read: text,
    fidelity,
  });
  const notRead: TextCheck = { requested: DEVANAGARI, measured: false, reason: NOT_READ_REASON };

  b.brief('golf', 'a neon sign with the requested text on it');
  await b.result('golf', 'draft', [
    { colour: grey, components: { aesthetic: 0.52, alignment: 0.62, technical: 0.5, text: read(HOSTILE_READ, 0) } },
    {
      colour: green,
      components: { aesthetic: 0.5, alignment: 0.6, technical: 0.5, text: read(HOSTILE_REQUESTED, 1) },
    },
    { colour: blue, components: { aesthetic: 0.3, alignment: 0.3, technical: 0.3, text: read('', 0) } },
  ]);

  b.brief('hotel', `a shop sign reading "${DEVANAGARI}"`);
  await b.result('hotel', 'draft', [
    { colour: yellow, components: { aesthetic: 0.7, alignment: 0.6, technical: 0.5, text: notRead } },
    { colour: cyan, components: { aesthetic: 0.4, alignment: 0.6, technical: 0.5, text: notRead } },
  ]);

  return b.finish(root, outRoot);
}
