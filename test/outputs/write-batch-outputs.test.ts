import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  LEDGER_CSV_HEADER,
  RANDOM_WEIGHTS_HTML_NOTICE,
  createOutputActivities,
  type BatchSummary,
  type ResultsLine,
} from '../../activities/outputs/index.js';
import { usdExactToMicros } from '../../shared/money.js';
import { COLOURS, standardBatch, type Fixture } from './fixtures.js';
import { closeTo, hashTree, meanColour, parseCsv } from './helpers.js';

async function run(f: Fixture, heartbeat: (d?: unknown) => void = () => undefined) {
  const { writeBatchOutputs } = createOutputActivities({ store: f.store, outRoot: f.outRoot, heartbeat });
  return writeBatchOutputs({
    batchId: 'batch-7',
    manifest: f.manifest,
    rerolls: f.rerolls,
    cost: f.cost,
    workflowId: 'batch-7-wf',
  });
}

async function readLines(dir: string): Promise<ResultsLine[]> {
  const text = await readFile(join(dir, 'results.jsonl'), 'utf8');
  return text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as ResultsLine);
}

describe('writeBatchOutputs on a finished batch', () => {
  let f: Fixture;
  let dir: string;
  let winners: number;
  const beats: unknown[] = [];

  beforeAll(async () => {
    f = await standardBatch(true);
    ({ outputDir: dir, winners } = await run(f, (d) => beats.push(d)));
  });
  afterAll(() => rm(f.root, { recursive: true, force: true }));

  test('writes into outRoot/<batchId> and counts the winners', () => {
    expect(dir).toBe(join(f.outRoot, 'batch-7'));
    expect(winners).toBe(3);
    expect(beats.length).toBeGreaterThanOrEqual(f.briefs.length);
  });

  test('each winner is the right original, fitted to the brief size', async () => {
    const expected = { alpha: COLOURS.green, bravo: COLOURS.magenta, charlie: COLOURS.cyan };
    for (const [id, colour] of Object.entries(expected)) {
      const meta = await sharp(join(dir, `${id}.jpg`)).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 320, 180]);
      expect(closeTo(await meanColour(join(dir, `${id}.jpg`)), colour)).toBe(true);
    }
    const files = await readdir(dir);
    expect(files).not.toContain('delta.jpg');
    expect(files).not.toContain('echo.jpg');
  });

  test('results.jsonl has one line per brief, in manifest order, with winners and reasons', async () => {
    const lines = await readLines(dir);
    expect(lines.map((l) => l.id)).toEqual(['alpha', 'bravo', 'charlie', 'delta', 'echo']);
    const [alpha, bravo, charlie, delta, echo] = lines as [
      ResultsLine,
      ResultsLine,
      ResultsLine,
      ResultsLine,
      ResultsLine,
    ];

    expect(alpha.status).toBe('ok');
    expect(alpha.prompt).toContain('<script>');
    expect(alpha.metadata).toEqual({ channel: 'Cook & Co', episode: 12 });
    expect(alpha.winner).toMatchObject({
      phase: 'draft',
      candidateIndex: 2,
      model: 'flux-schnell',
      seed: 1002,
      score: 0.83,
      file: 'alpha.jpg',
    });
    expect(alpha.winner!.sha256).toBe(f.results[0]!.candidates[2]!.image.sha256);
    expect(alpha.winner!.components).toMatchObject({
      aesthetic: expect.any(Number),
      'alignment.cosine': 0.3,
      'technical.raw.laplacianVariance': 12,
    });
    expect(alpha.winner!.components).not.toHaveProperty('index');
    // The fixture's aesthetic is 0.9 × score with alignment and technical equal, so aesthetic decides.
    expect(alpha.winner!.why).toMatch(
      /^draft #2 beat draft #\d by 0\.\d{3} \(0\.830 vs 0\.\d{3}\): won on aesthetic \+0\.\d{3}$/
    );
    expect(alpha.candidates[0]!.points).toEqual({
      aesthetic: expect.any(Number),
      alignment: expect.any(Number),
      technical: expect.any(Number),
    });
    expect(alpha.candidates[0]!.text).toBeNull();
    expect(alpha.reroll).toBeNull();
    expect(alpha.candidates).toHaveLength(4);
    expect(alpha.candidates.filter((c) => c.winner).map((c) => c.index)).toEqual([2]);
    expect(alpha.candidates[0]).toMatchObject({
      phase: 'draft',
      model: 'flux-schnell',
      seed: 1000,
      score: 0.41,
      costMicros: 7920,
      costUsd: '0.007920',
    });
    expect(alpha.candidates[0]!.preview).toMatch(/^contact\/[0-9a-f]{64}\.jpg$/);
    // Five calls: four images and one billed-but-unusable attempt.
    expect(alpha.cost.calls).toBe(5);
    expect(alpha.randomWeights).toBe(true);

    expect(bravo.winner).toMatchObject({ phase: 'reroll', model: 'flux-1.1-pro', score: 0.7, file: 'bravo.jpg' });
    expect(bravo.reroll).toMatchObject({
      winner: 'reroll',
      reason: "re-roll scored 0.700 over the draft's 0.250",
      rerollScore: 0.7,
    });
    expect(bravo.candidates.map((c) => c.phase)).toEqual(['draft', 'draft', 'draft', 'draft', 'reroll']);
    expect(bravo.cost.byPhase.reroll).toEqual({ calls: 1, costMicros: 50_000 });
    expect(bravo.winner!.why).toMatch(/^re-rolled: re-roll #0 beat draft #\d by 0\.450 \(0\.700 vs 0\.250\)/);

    expect(charlie.winner).toMatchObject({ phase: 'draft', candidateIndex: 0, score: 0.33 });
    expect(charlie.reroll).toMatchObject({ winner: 'draft', reason: "the draft's 0.330 beat the re-roll's 0.290" });
    expect(charlie.candidates.find((c) => c.phase === 'reroll')!.winner).toBe(false);
    expect(charlie.winner!.why).toMatch(/^re-rolled, the draft stands: draft #0 beat re-roll #0 by 0\.040/);

    expect(delta).toMatchObject({
      status: 'failed',
      winner: null,
      reason: 'ProviderInvalidRequest: prompt was rejected',
    });
    expect(delta.failures).toEqual([expect.objectContaining({ phase: 'draft', type: 'ProviderInvalidRequest' })]);
    expect(delta.cost).toMatchObject({ calls: 1, costMicros: 8885 });

    expect(echo).toMatchObject({ status: 'failed', winner: null, candidates: [], cost: { calls: 0, costMicros: 0 } });
    expect(echo.reason).toMatch(/no draft result/);
  });

  test('ledger.csv parses, lists every billed call and sums exactly to the batch total', async () => {
    const rows = parseCsv(await readFile(join(dir, 'ledger.csv'), 'utf8'));
    const [header, ...body] = rows;
    expect(header).toEqual([...LEDGER_CSV_HEADER]);
    expect(body).toHaveLength(f.cost.totals.calls);
    expect(body.every((r) => r.length === LEDGER_CSV_HEADER.length)).toBe(true);
    const col = (name: (typeof LEDGER_CSV_HEADER)[number]) => LEDGER_CSV_HEADER.indexOf(name);
    const sum = body.reduce((s, r) => s + usdExactToMicros(r[col('cost_usd')]!), 0);
    expect(sum).toBe(f.cost.totals.costMicros);
    expect(body.filter((r) => r[col('outcome')] === 'unusable').map((r) => r[col('thumbnail_id')])).toEqual([
      'alpha',
      'delta',
    ]);
    // A request id with a comma and quotes survives the round trip.
    expect(body.map((r) => r[col('request_id')])).toContain('req,"quoted"');
    const reroll = body.find((r) => r[col('phase')] === 'reroll')!;
    expect(reroll[col('pricing_mode')]).toBe('flat');
    expect(reroll[col('gpu_seconds')]).toBe('');
    expect(reroll[col('cost_usd')]).toBe('0.050000');
    expect(reroll[col('credits_remaining_usd')]).toBe('8.500000');
    // Draft rows first per thumbnail, in manifest order.
    expect([...new Set(body.map((r) => r[col('thumbnail_id')]))]).toEqual(['alpha', 'bravo', 'charlie', 'delta']);
  });

  test('summary.json has the counts, the cost as given and the random-weights flag', async () => {
    const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as BatchSummary;
    expect(summary).toMatchObject({
      batchId: 'batch-7',
      workflowId: 'batch-7-wf',
      counts: { thumbnails: 5, succeeded: 3, failed: 2, rerolled: 2, rerollWins: 1 },
      randomWeights: true,
      ledger: { entries: f.cost.totals.calls, costMicros: f.cost.totals.costMicros, matchesTotals: true },
    });
    expect(summary.cost).toEqual(f.cost);
  });

  test('the HTML contact sheet lists every thumbnail, marks winners and warns about random weights', async () => {
    const html = await readFile(join(dir, 'contact-sheet.html'), 'utf8');
    for (const id of ['alpha', 'bravo', 'charlie', 'delta', 'echo']) expect(html).toContain(`id="t-${id}"`);
    expect(html).toContain(RANDOM_WEIGHTS_HTML_NOTICE);
    expect(html).not.toContain('<script>');
    expect(html).toContain('Chef &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;friends&quot;');
    expect(html).toContain('Cook &amp; Co');

    const winnerSha = f.results[0]!.candidates[2]!.image.sha256;
    const figure = (sha: string) =>
      new RegExp(`<figure class="([^"]*)"[^>]*><a href="([^"]*)"><img src="contact/${sha}\\.jpg"`).exec(html);
    expect(figure(winnerSha)?.[1]).toBe('draft winner');
    expect(figure(winnerSha)?.[2]).toBe('alpha.jpg');
    const bravoReroll = f.results.find((r) => r.thumbnailId === 'bravo' && r.phase === 'reroll')!.candidates[0]!.image
      .sha256;
    expect(figure(bravoReroll)?.[1]).toBe('reroll winner');
    const charlieReroll = f.results.find((r) => r.thumbnailId === 'charlie' && r.phase === 'reroll')!.candidates[0]!
      .image.sha256;
    expect(figure(charlieReroll)?.[1]).toBe('reroll');
    expect((html.match(/★ winner/g) ?? []).length).toBe(3);
    expect(html).toContain('failed: ProviderInvalidRequest: prompt was rejected');
    // Header: batch totals, cost per usable thumbnail and the counterfactuals.
    expect(html).toContain('cost per usable thumbnail');
    expect(html).toContain('everything on flux-1.1-pro');
    // Only relative links: every preview it shows exists in the folder.
    const srcs = [...html.matchAll(/src="([^"]+)"/g)].map((m) => m[1]!);
    expect(srcs.length).toBe(4 + 5 + 5);
    const previews = new Set(await readdir(join(dir, 'contact')));
    for (const src of srcs) expect(previews.has(src.replace(/^contact\//, ''))).toBe(true);
    expect(html).not.toMatch(/(src|href)="(https?:|\/)/);
  });

  test('contact-sheet.jpg decodes', async () => {
    const meta = await sharp(join(dir, 'contact-sheet.jpg')).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.width).toBeGreaterThan(500);
    expect(meta.height).toBeGreaterThan(5 * 100);
    expect(meta.height).toBeLessThan(65_535);
  });

  test("running again gives the same files (and clears a crashed attempt's temp files)", async () => {
    const before = await hashTree(dir);
    // What a killed attempt leaves behind; the retry cleans it up.
    await writeFile(join(dir, '.results.jsonl.4242.0123456789ab.tmp'), 'partial');
    await writeFile(join(dir, 'contact', '.x.jpg.4242.0123456789ab.tmp'), 'partial');
    await run(f);
    expect(await hashTree(dir)).toEqual(before);
    expect(Object.keys(before).some((p) => p.endsWith('.tmp'))).toBe(false);
  });
});

describe('writeBatchOutputs with trained weights', () => {
  test('shows no random-weights notice', async () => {
    const f = await standardBatch(false);
    try {
      const { outputDir } = await run(f);
      const html = await readFile(join(outputDir, 'contact-sheet.html'), 'utf8');
      expect(html).not.toContain(RANDOM_WEIGHTS_HTML_NOTICE);
      const summary = JSON.parse(await readFile(join(outputDir, 'summary.json'), 'utf8')) as BatchSummary;
      expect(summary.randomWeights).toBe(false);
    } finally {
      await rm(f.root, { recursive: true, force: true });
    }
  });
});
