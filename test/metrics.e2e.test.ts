/**
 * The worker's Prometheus endpoint (`--metrics-port`), scraped over HTTP while a batch runs and after it
 * ends: thumbgate's metrics agree with the batch's own ledger and counts, and the SDK's runtime metrics
 * come out on the same port. A real worker process, the suite's Temporal server and the emulator.
 *
 * "While it runs" is a state, not a moment: the emulator renders drafts at once but holds the re-roll
 * model's jobs until the test moves its clock past them, so the batch waits in `rerolling` — every draft
 * finished, the re-rolls accepted and charged — for as long as the test needs to scrape.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { request } from 'undici';
import { startBatch } from '../client/batch-client.js';
import { LocalBlobStore } from '../node/blob-store.js';
import { createEmulator, type Emulator } from '../emulator/server.js';
import { resolveBatchOptions } from '../shared/batch-options.js';
import { costQuery, progressQuery } from '../shared/batch-workflow.js';
import type { LedgerTotals } from '../shared/ledger.js';
import { METRICS } from '../shared/metrics.js';
import { MICROS_PER_USD } from '../shared/money.js';
import type { ThumbnailBrief } from '../shared/thumbnail-brief.js';
import { eventually } from './helpers/eventually.js';
import { startWorkerProcess, stopAllWorkerProcesses, type WorkerProcess } from './helpers/worker-process.js';

const API_KEY = 'metrics-test-key';
const BRIEFS = 8;
const REROLLS = 2; // ceil(0.25 × 8)
/** How long the emulator holds a re-roll job, on its own clock (the test skips past it). */
const REROLL_HOLD_SECONDS = 600;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format: `# TYPE` lines by name, and one sample per series line. */
function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    const m = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { types, samples };
}

class Scrape {
  private constructor(
    readonly types: Map<string, string>,
    private readonly samples: Sample[]
  ) {}

  static async of(port: number): Promise<Scrape> {
    const res = await request(`http://127.0.0.1:${port}/metrics`);
    expect(res.statusCode).toBe(200);
    const { types, samples } = parseExposition(await res.body.text());
    return new Scrape(types, samples);
  }

  series(name: string, where: Record<string, string> = {}): Sample[] {
    return this.samples.filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v));
  }

  /** Sum over the matching series; 0 when there are none (a counter never added to is not exposed). */
  sum(name: string, where: Record<string, string> = {}): number {
    return this.series(name, where).reduce((total, s) => total + s.value, 0);
  }

  /** The spend gauge in micro-dollars, rounded where the dollars were (each series is a sum of micros). */
  spendMicros(where: Record<string, string> = {}): number {
    return this.series(METRICS.spend.name, where).reduce((t, s) => t + Math.round(s.value * MICROS_PER_USD), 0);
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function briefs(n: number): ThumbnailBrief[] {
  const subjects = ['a lighthouse in a storm', 'a skateboarder mid-air', 'a bowl of ramen', 'a fox in the snow'];
  return Array.from({ length: n }, (_, i) => ({
    id: `metrics-${String(i + 1).padStart(2, '0')}`,
    prompt: `${subjects[i % subjects.length]}, vivid colours, thumbnail ${i + 1}`,
    width: 448,
    height: 256,
  }));
}

/** The spend series agree with the ledger totals, overall and by model, phase and basis. */
function expectSpendMatches(scrape: Scrape, totals: LedgerTotals): void {
  expect(scrape.spendMicros()).toBe(totals.costMicros);
  for (const [basis, t] of Object.entries(totals.byBasis)) expect(scrape.spendMicros({ basis })).toBe(t.costMicros);
  for (const [phase, t] of Object.entries(totals.byPhase)) expect(scrape.spendMicros({ phase })).toBe(t.costMicros);
  for (const [model, t] of Object.entries(totals.byModel)) expect(scrape.spendMicros({ model })).toBe(t.costMicros);
}

describe('worker Prometheus metrics (real server, emulator, worker process with --metrics-port)', () => {
  const address = process.env.TEMPORAL_TEST_ADDRESS;
  let emulator: Emulator;
  let clockSkewMs = 0;
  let root: string;
  let connection: Connection | undefined;
  let worker: WorkerProcess;
  let port: number;

  beforeAll(async () => {
    if (!address) throw new Error('TEMPORAL_TEST_ADDRESS is not set: run the tests with `npm test`');
    emulator = await createEmulator({
      apiKeys: [API_KEY],
      latencyScale: 1,
      queueSeconds: 0,
      latencySeconds: { 'flux-schnell': 0, 'flux-1.1-pro': REROLL_HOLD_SECONDS },
      now: () => Date.now() + clockSkewMs,
    });
    root = await mkdtemp(join(tmpdir(), 'thumbgate-metrics-'));
    connection = await Connection.connect({ address });
    port = await freePort();
  }, 60_000);

  afterAll(async () => {
    await stopAllWorkerProcesses();
    await connection?.close();
    await emulator?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  test('scraped mid-batch and after: spend = ledger, thumbnails = batch counts, SDK metrics on the same port', async () => {
    const storeDir = join(root, 'store');
    const taskQueue = `metrics-${Date.now()}`;
    worker = await startWorkerProcess({
      temporalAddress: address!,
      taskQueue,
      storeDir,
      outDir: join(root, 'out'),
      roles: 'generation,scoring',
      segmindBaseUrl: emulator.url,
      segmindApiKey: API_KEY,
      segmindRpm: 6000,
      args: ['--metrics-port', String(port)],
    });

    const batch = await startBatch({
      client: new Client({ connection: connection! }),
      store: new LocalBlobStore(storeDir),
      batchId: `metrics-${Date.now()}`,
      briefs: briefs(BRIEFS),
      options: resolveBatchOptions({ size: { width: 448, height: 256 }, maxInFlight: 4, rerollFraction: 0.25 }),
      taskQueue,
    });

    // Mid-batch: every draft done, both re-rolls accepted (and charged) and held by the emulator.
    const rerollsAccepted = () => emulator.billing().filter((b) => b.model === 'flux-1.1-pro').length;
    await eventually(
      'every draft done and both re-rolls held at the provider',
      async () => {
        // Thrown on every try, so a timeout says why.
        if (worker.exited()) throw new Error(`the worker exited:\n${worker.stderr()}`);
        const progress = await batch.handle.query(progressQuery);
        return progress.stage === 'rerolling' && rerollsAccepted() === REROLLS;
      },
      180_000
    );
    const mid = await Scrape.of(port);
    const midCost = await batch.handle.query(costQuery);
    expect(mid.sum(METRICS.thumbnails.name, { phase: 'draft', outcome: 'usable' })).toBe(BRIEFS);
    expect(mid.series(METRICS.thumbnails.name, { phase: 'reroll' })).toEqual([]);
    expect(mid.series(METRICS.rerollWins.name)).toEqual([]);
    expect(mid.sum(`${METRICS.score.name}_count`, { phase: 'draft' })).toBe(BRIEFS);
    // The batch books a thumbnail's spend when it finishes; so does the metric, at the amounts settled.
    // The re-rolls' accepted jobs are in neither yet.
    expect(midCost.totals.byPhase.reroll.calls).toBe(0);
    expect(midCost.totals.costMicros).toBeGreaterThan(0);
    expectSpendMatches(mid, midCost.totals);
    expect(mid.sum(METRICS.providerCalls.name, { model: 'flux-1.1-pro', status: '200' })).toBeGreaterThanOrEqual(
      REROLLS
    );

    // Let the re-rolls finish: the emulator's clock moves past their render time.
    clockSkewMs = (REROLL_HOLD_SECONDS + 1) * 1000;
    const result = await batch.handle.result();
    expect(result.succeeded).toBe(BRIEFS);
    expect(result.rerolled).toBe(REROLLS);
    const end = await Scrape.of(port);

    // Spend: exactly the batch ledger (the re-rolls' estimates were settled at the provider's figures).
    expectSpendMatches(end, result.cost.totals);
    expect(result.cost.totals.costMicros).toBe(emulator.totalBilledMicros());

    // Thumbnails by phase and outcome, the batch's own counts.
    const thumbnails = (phase: string, outcome: string) => end.sum(METRICS.thumbnails.name, { phase, outcome });
    expect(thumbnails('draft', 'usable')).toBe(result.succeeded);
    expect(thumbnails('draft', 'failed')).toBe(result.failed.length + result.failedUnlisted);
    expect(thumbnails('reroll', 'usable')).toBe(result.rerolled);
    expect(end.series(METRICS.thumbnails.name, { outcome: 'cancelled' })).toEqual([]);

    // Re-roll wins: the series exists once a re-roll was decided, even at 0.
    expect(end.series(METRICS.rerollWins.name)).toHaveLength(1);
    expect(end.sum(METRICS.rerollWins.name)).toBe(result.rerollWins);

    // Scores: one observation per usable thumbnail, all in [0, 1].
    for (const [phase, usable] of [
      ['draft', result.succeeded],
      ['reroll', result.rerolled],
    ] as const) {
      expect(end.sum(`${METRICS.score.name}_count`, { phase })).toBe(usable);
      expect(end.sum(`${METRICS.score.name}_bucket`, { phase, le: '1' })).toBe(usable);
      expect(end.sum(`${METRICS.score.name}_sum`, { phase })).toBeLessThanOrEqual(usable);
    }

    // Provider exchanges: at least one answered 200 per billed call, and a latency per exchange.
    const calls = end.sum(METRICS.providerCalls.name);
    expect(end.sum(METRICS.providerCalls.name, { status: '200' })).toBeGreaterThanOrEqual(result.cost.totals.calls);
    expect(end.sum(`${METRICS.providerLatency.name}_count`)).toBe(calls);
    for (const model of ['flux-schnell', 'flux-1.1-pro', 'none']) {
      expect(end.sum(`${METRICS.providerLatency.name}_count`, { model })).toBe(
        end.sum(METRICS.providerCalls.name, { model })
      );
    }
    // The balance, asked at the start and the end of the batch, is about no model.
    expect(end.sum(METRICS.providerCalls.name, { model: 'none', status: '200' })).toBeGreaterThanOrEqual(2);

    // The exposed names and kinds the dashboard is written against.
    expect(Object.fromEntries(Object.values(METRICS).map((m) => [m.name, end.types.get(m.name)]))).toEqual({
      thumbgate_spend_usd_total: 'gauge',
      thumbgate_thumbnails_total: 'counter',
      thumbgate_provider_calls_total: 'counter',
      thumbgate_provider_latency_seconds: 'histogram',
      thumbgate_score: 'histogram',
      thumbgate_reroll_wins_total: 'counter',
    });
    expect(end.series(METRICS.score.name + '_bucket', { phase: 'draft' }).map((s) => s.labels.le)).toEqual([
      ...(METRICS.score.buckets ?? []).map(String),
      '+Inf',
    ]);

    // The SDK's own runtime metrics on the same endpoint, named as the dashboard queries them
    // (Prometheus conventions: `_total` counters, durations in seconds).
    expect(end.sum('temporal_workflow_completed_total', { workflow_type: 'batchWorkflow' })).toBe(1);
    expect(end.sum('temporal_workflow_completed_total', { workflow_type: 'thumbnailWorkflow' })).toBe(BRIEFS + REROLLS);
    expect(
      end.sum('temporal_activity_execution_latency_seconds_count', { activity_type: 'scoreCandidates' })
    ).toBeGreaterThanOrEqual(BRIEFS + REROLLS);
    expect(end.types.get('temporal_activity_schedule_to_start_latency_seconds')).toBe('histogram');
  }, 240_000);
});
