/**
 * The batch keeps only a bounded list of re-roll decisions; the writer derives the rest from the stored
 * re-roll results with the workflow's own rule (`decideReroll`).
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createOutputActivities, type BatchSummary, type ResultsLine } from '../../activities/outputs/index.js';
import { decideOutcome } from '../../activities/outputs/thumbnail-outcome.js';
import type { RerollDecision } from '../../shared/batch-workflow.js';
import { decideReroll } from '../../shared/decision/reroll-decision.js';
import { bestScoreOf } from '../../shared/thumbnail-workflow.js';
import type { ThumbnailWorkflowResult } from '../../shared/thumbnail-workflow.js';
import { bestIndex } from '../../shared/decision/winner.js';
import { BATCH_ID, BatchBuilder, COLOURS, standardBatch, tempRoot, type Fixture } from './fixtures.js';
import { closeTo, hashTree, meanColour } from './helpers.js';
import { failedResult, okResult } from '../helpers/results.js';

async function write(f: Fixture, rerolls: RerollDecision[], outRoot = f.outRoot) {
  const { writeBatchOutputs } = createOutputActivities({ store: f.store, outRoot });
  return writeBatchOutputs({ batchId: BATCH_ID, manifest: f.manifest, rerolls, cost: f.cost, workflowId: 'wf' });
}

async function readLines(dir: string): Promise<ResultsLine[]> {
  return (await readFile(join(dir, 'results.jsonl'), 'utf8'))
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as ResultsLine);
}

describe('writeBatchOutputs with an empty rerolls list but stored re-roll results', () => {
  let f: Fixture;
  let dir: string;
  let winners: number;
  const expected = new Map<string, RerollDecision>();

  beforeAll(async () => {
    const { root, store, outRoot } = await tempRoot();
    const b = new BatchBuilder(store, false);
    const { red, green, blue, yellow, magenta, cyan, grey } = COLOURS;
    const drafts: Record<string, ThumbnailWorkflowResult> = {};
    const rerolls: Record<string, ThumbnailWorkflowResult> = {};

    b.brief('higher');
    drafts.higher = await b.result('higher', 'draft', [
      { colour: grey, score: 0.2 },
      { colour: yellow, score: 0.24 },
    ]);
    rerolls.higher = await b.result('higher', 'reroll', [{ colour: magenta, score: 0.61 }]);

    b.brief('lower');
    drafts.lower = await b.result('lower', 'draft', [
      { colour: cyan, score: 0.35 },
      { colour: grey, score: 0.3 },
    ]);
    rerolls.lower = await b.result('lower', 'reroll', [{ colour: red, score: 0.28 }]);

    b.brief('failed');
    drafts.failed = await b.result('failed', 'draft', [
      { colour: grey, score: 0.1 },
      { colour: blue, score: 0.15 },
    ]);
    rerolls.failed = await b.failedResult('failed', 'reroll', 'ProviderInvalidRequest: NSFW filter', true);

    b.brief('plain');
    await b.result('plain', 'draft', [{ colour: green, score: 0.9 }]);

    f = await b.finish(root, outRoot);
    for (const id of ['higher', 'lower', 'failed']) {
      expected.set(id, decideReroll(id, bestScoreOf(drafts[id]!)!, rerolls[id]!));
    }
    ({ outputDir: dir, winners } = await write(f, []));
  });
  afterAll(() => rm(f.root, { recursive: true, force: true }));

  test('the derived decisions are the ones decideReroll gives', () => {
    // Guards the fixture: one re-roll wins, one loses, one failed.
    expect(expected.get('higher')).toMatchObject({ winner: 'reroll', draftScore: 0.24, rerollScore: 0.61 });
    expect(expected.get('lower')).toMatchObject({ winner: 'draft', draftScore: 0.35, rerollScore: 0.28 });
    expect(expected.get('failed')).toMatchObject({ winner: 'draft', draftScore: 0.15 });
    expect(expected.get('failed')!.reason).toContain('re-roll failed (ProviderInvalidRequest: NSFW filter)');
  });

  test('results.jsonl carries each decision, its winner and reason', async () => {
    const lines = new Map((await readLines(dir)).map((l) => [l.id, l]));
    for (const [id, d] of expected) {
      const line = lines.get(id)!;
      expect(line.status).toBe('ok');
      expect(line.reroll).toEqual({
        winner: d.winner,
        reason: d.reason,
        draftScore: d.draftScore,
        rerollScore: d.rerollScore ?? null,
        note: null,
      });
      expect(line.winner!.phase).toBe(d.winner);
    }
    expect(lines.get('higher')!.winner).toMatchObject({ phase: 'reroll', score: 0.61 });
    expect(lines.get('lower')!.winner).toMatchObject({ phase: 'draft', candidateIndex: 0, score: 0.35 });
    expect(lines.get('failed')!.winner).toMatchObject({ phase: 'draft', candidateIndex: 1, score: 0.15 });
    expect(lines.get('failed')!.cost.byPhase.reroll.calls).toBe(1);
    expect(lines.get('plain')!.reroll).toBeNull();
  });

  test('the winner files are the decided images', async () => {
    expect(winners).toBe(4);
    expect(closeTo(await meanColour(join(dir, 'higher.jpg')), COLOURS.magenta)).toBe(true);
    expect(closeTo(await meanColour(join(dir, 'lower.jpg')), COLOURS.cyan)).toBe(true);
    expect(closeTo(await meanColour(join(dir, 'failed.jpg')), COLOURS.blue)).toBe(true);
  });

  test('summary.json counts the derived decisions', async () => {
    const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as BatchSummary;
    const decisions = [...expected.values()];
    expect(summary.counts).toEqual({
      thumbnails: 4,
      succeeded: 4,
      failed: 0,
      rerolled: decisions.length,
      rerollWins: decisions.filter((d) => d.winner === 'reroll').length,
    });
    expect(summary.counts.rerollWins).toBe(1);
    expect(summary.ledger.matchesTotals).toBe(true);
  });

  test('listing some of the decisions gives the same folder', async () => {
    const other = join(f.root, 'out-partial');
    const { outputDir } = await write(f, [expected.get('lower')!], other);
    expect(await hashTree(outputDir)).toEqual(await hashTree(dir));
  });
});

test('the standard batch gives the same folder with its full rerolls list and with none', async () => {
  const f = await standardBatch(true);
  try {
    const full = await write(f, f.rerolls, join(f.root, 'full'));
    const none = await write(f, [], join(f.root, 'none'));
    expect(await hashTree(none.outputDir)).toEqual(await hashTree(full.outputDir));
  } finally {
    await rm(f.root, { recursive: true, force: true });
  }
});

describe('the best candidate is the one the workflow chose', () => {
  const result = (best: number, scores: number[]) => okResult('t', scores, { best });
  const brief = { id: 't', prompt: 'p', width: 16, height: 16 };

  test('`best` is used as given, not recomputed from the scores', () => {
    const draft = result(0, [0.4, 0.5]);
    expect(bestIndex(draft)).toBe(0);
    expect(decideOutcome(brief, draft, undefined, undefined).winner).toMatchObject({ phase: 'draft', index: 0 });
  });

  test('a failed result has no best candidate, whatever it generated', () => {
    const failed = failedResult('t', 'ScoringModelUnavailable', 'scoring failed: no model', { candidates: [0.4] });
    expect(bestIndex(failed)).toBeUndefined();
    expect(decideOutcome(brief, failed, undefined, undefined)).toMatchObject({
      status: 'failed',
      reason: 'scoring failed: no model',
    });
  });

  test('a listed decision wins over the stored results', () => {
    const listed: RerollDecision = { id: 't', draftScore: 0.5, rerollScore: 0.9, winner: 'draft', reason: 'listed' };
    const reroll = okResult('t', [0.9], { phase: 'reroll' });
    const outcome = decideOutcome(brief, result(1, [0.4, 0.5]), reroll, listed);
    expect(outcome.decision).toBe(listed);
    expect(outcome.winner).toMatchObject({ phase: 'draft', index: 1 });
  });
});
