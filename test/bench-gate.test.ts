import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WORLDS } from '../bench/gate/pool.js';
import { quotedText } from '../emulator/lettering.js';
import { noGate, oracle, seedPolicy } from '../bench/gate/policies.js';
import { table } from '../bench/gate/report.js';
import { runGateBench, type WorldRun } from '../bench/gate/run.js';
import { DEFAULT_BATCH_OPTIONS, rerollCount } from '../shared/batch-options.js';

const manifestPath = fileURLToPath(new URL('../examples/mcn-day.jsonl', import.meta.url));
const BRIEFS = 6;

test('the committed pool is an MCN day: 200+ distinct briefs, most quoting text, several scripts and sizes', async () => {
  const briefs = (await readFile(manifestPath, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { prompt: string; size: string; metadata: { script: string } });
  expect(briefs.length).toBeGreaterThanOrEqual(200);
  expect(new Set(briefs.map((b) => b.prompt)).size).toBe(briefs.length);
  const quoting = briefs.filter((b) => quotedText(b.prompt) !== undefined);
  expect(quoting.length / briefs.length).toBeGreaterThan(0.5);
  const scripts = new Set(quoting.map((b) => b.metadata.script));
  expect([...scripts].sort()).toEqual(['cjk', 'cyrillic', 'devanagari', 'latin']);
  expect(new Set(briefs.map((b) => b.size)).size).toBeGreaterThan(1);
});

describe('bench:gate on a tiny pool (structure and consistency, not figures)', () => {
  let cacheDir: string;
  let first: WorldRun;
  let second: WorldRun;

  beforeAll(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'bench-gate-test-'));
    const options = { manifestPath, briefs: BRIEFS, worlds: [WORLDS[0]!], cacheDir, latencyScale: 0 };
    first = (await runGateBench(options))[0]!;
    second = (await runGateBench(options))[0]!;
  });
  afterAll(() => rm(cacheDir, { recursive: true, force: true }));

  test('the pool holds every brief with its drafts and re-roll, joined with the ground truth', () => {
    const { pool } = first;
    expect(pool.briefs).toHaveLength(BRIEFS);
    for (const b of pool.briefs) {
      expect(b.drafts.map((c) => [c.phase, c.model])).toEqual(
        Array.from({ length: DEFAULT_BATCH_OPTIONS.candidates }, () => ['draft', DEFAULT_BATCH_OPTIONS.draftModel])
      );
      expect(b.rerolls.map((c) => [c.phase, c.model])).toEqual([['reroll', DEFAULT_BATCH_OPTIONS.rerollModel]]);
      for (const c of [...b.drafts, ...b.rerolls]) {
        // [0, 1], or [−1, 0) for a candidate the scorer finds a fault in (shared/scoring.ts).
        expect(c.score).toBeGreaterThanOrEqual(-1);
        expect(c.score).toBeLessThanOrEqual(1);
        // One v1 request per image, joined by its request id (two briefs never share one).
        expect(c.requests).toBe(1);
        expect(c.costMicros).toBeGreaterThan(0);
        // usable = clean and, where text was asked, spelt as asked.
        const spelt = c.askedText === undefined || c.paintedText === c.askedText;
        expect(c.usable).toBe(c.defect === 'clean' && spelt);
      }
      // The pro re-roll is always clean and spelt right in the emulator.
      expect(b.rerolls[0]!.usable).toBe(true);
    }
    // The candidates' costs are the emulator's whole bill.
    const sum = pool.briefs.flatMap((b) => [...b.drafts, ...b.rerolls]).reduce((s, c) => s + c.costMicros, 0);
    expect(sum).toBe(pool.billedMicros);
    expect(pool.scorer.randomWeights).toBe(true);
  });

  test('every policy figure is consistent: shares, efficiency, costs, calls', () => {
    const byPolicy = new Map(first.figures.map((f) => [f.policy, f]));
    const none = byPolicy.get(noGate.name)!;
    const seed = byPolicy.get(seedPolicy().name)!;
    const top = byPolicy.get(oracle.name)!;
    for (const f of first.figures) {
      expect(f.briefs).toBe(BRIEFS);
      expect(f.shipped).toBe(BRIEFS);
      expect(f.usableShare).toBeGreaterThanOrEqual(0);
      expect(f.usableShare).toBeLessThanOrEqual(1);
      expect(f.usableShare).toBeCloseTo(f.usableShipped / f.briefs, 12);
      expect(f.oracleShare).toBe(top.usableShare);
      if (f.efficiency !== null) {
        expect(f.efficiency).toBeCloseTo((f.usableShare - none.usableShare) / (top.usableShare - none.usableShare), 12);
      } else expect(top.usableShare).toBeLessThanOrEqual(none.usableShare);
      expect(f.costPerDelivered).toBeCloseTo(f.billedMicros / f.shipped, 6);
      if (f.usableShipped > 0) expect(f.costPerUsable).toBeCloseTo(f.billedMicros / f.usableShipped, 6);
      else expect(f.costPerUsable).toBeNull();
      expect(f.missesPixel + f.missesText).toBeGreaterThanOrEqual(f.shipped - f.usableShipped);
      expect(f.p10Score).toBeLessThanOrEqual(f.meanScore + 1e-12);
    }
    expect(top.usableShare).toBeGreaterThanOrEqual(seed.usableShare);
    expect(seed.usableShare).toBeGreaterThanOrEqual(0);
    // No gate buys one draft; the seed four per brief plus the bottom tenth's re-rolls; the oracle the whole pool.
    expect(none.callsPerThumbnail).toBe(1);
    const rerolled = rerollCount(BRIEFS, DEFAULT_BATCH_OPTIONS.rerollFraction);
    expect(seed.callsPerThumbnail).toBeCloseTo((BRIEFS * DEFAULT_BATCH_OPTIONS.candidates + rerolled) / BRIEFS, 12);
    expect(top.billedMicros).toBe(first.pool.billedMicros);
    expect(table(first.figures).split('\n')).toHaveLength(2 + first.figures.length);
  });

  test('a rerun replays the cached pool without buying, to the same figures', async () => {
    expect(first.cached).toBe(false);
    expect(second.cached).toBe(true);
    expect(second.key).toBe(first.key);
    expect(second.figures).toEqual(first.figures);
    expect(await readdir(cacheDir)).toContain(`${first.key}.json`);
  });
});
