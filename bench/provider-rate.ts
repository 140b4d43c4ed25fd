/**
 * `npm run bench:rate`: does Temporal's task-queue rate limit on the provider queue keep several worker
 * processes together within the provider plan's requests per minute? Runs the Segmind emulator with a
 * plan limit (429 + Retry-After over it), two generation worker processes with THUMBGATE_SEGMIND_RPM set
 * to the same figure, and a batch large enough to submit well over a window's worth of jobs. Prints the
 * share of submits refused with 429 and the sustained submit rate over a steady window against the
 * limit. Prints figures; asserts nothing (test/provider-rate.e2e.test.ts asserts loose bounds).
 *
 *   npm run bench:rate                                    # 60/min, a 60 s window, 150 submits (≈ 3 min)
 *   npm run bench:rate -- --rpm 60 --window-ms 15000 --submits 60 --workers 2
 *
 * Starts its own Temporal dev server unless TEMPORAL_ADDRESS is set (run `npm run setup:temporal` first).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { startBatch } from '../client/batch-client.js';
import { LocalBlobStore } from '../node/blob-store.js';
import { projectRoot } from '../node/paths.js';
import { createEmulator } from '../emulator/server.js';
import { resolveBatchOptions } from '../shared/batch-options.js';
import type { ThumbnailBrief } from '../shared/thumbnail-brief.js';
import { freePort, startDevServer } from '../scripts/temporal-server.js';

/** What a worker process needs to know; the caller decides how it is started. */
export interface RateWorkerSpec {
  name: string;
  temporalAddress: string;
  taskQueue: string;
  storeDir: string;
  outDir: string;
  segmindBaseUrl: string;
  segmindApiKey: string;
  segmindRpm: number;
}

export interface RateRunOptions {
  temporalAddress: string;
  /** Starts one generation worker process (and resolves once it is polling). */
  startWorker: (spec: RateWorkerSpec) => Promise<{ stop(): Promise<void> }>;
  /** Worker processes on the queue (default 2). */
  workers?: number;
  /** The plan: requests per minute, for THUMBGATE_SEGMIND_RPM and the emulator alike. */
  rpm: number;
  /** The emulator's sliding window; its limit is `rpm × windowMs / 60 000` submits per window. */
  windowMs?: number;
  /** Accepted submits to wait for after the warm-up (the steady window). */
  submits: number;
  /** Accepted submits left out of the steady window: the start, when the server's bucket is full. */
  warmup?: number;
  /** Gives up after this long (default: twice the expected time plus a minute). */
  timeoutMs?: number;
}

export interface RateFigures {
  workers: number;
  rpm: number;
  windowMs: number;
  /** The emulator's limit per window. */
  perWindow: number;
  /** Every POST /v2/<model>. */
  submits: number;
  accepted: number;
  rateLimited: number;
  /** rateLimited / submits. */
  rateLimitedShare: number;
  /** Accepted submits per minute between the end of the warm-up and the last accepted one. */
  steadyPerMinute: number;
  /** steadyPerMinute / rpm. */
  steadyShare: number;
  steadyWindowMs: number;
  /** The most submits the emulator's limiter counted in any sliding window (never above perWindow). */
  busiestWindow: number;
  /** From starting the batch to the last counted acceptance. */
  elapsedMs: number;
}

const API_KEY = 'bench-rate-key';

function briefs(n: number): ThumbnailBrief[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `rate-${String(i + 1).padStart(3, '0')}`,
    prompt: `a rocket made of pencils, thumbnail ${i + 1}`,
    width: 448,
    height: 256,
  }));
}

/**
 * Runs one measurement. The batch has no scoring worker: every thumbnail submits its four drafts and
 * then waits for a scorer, so the provider queue's backlog stays full until the batch is terminated.
 */
export async function measureProviderRate(o: RateRunOptions): Promise<RateFigures> {
  const workers = o.workers ?? 2;
  const windowMs = o.windowMs ?? 60_000;
  const warmup = o.warmup ?? 5;
  const perWindow = (o.rpm * windowMs) / 60_000;
  if (!Number.isInteger(perWindow) || perWindow < 1) {
    throw new RangeError(`rpm × windowMs / 60000 must be a whole number of submits, got ${perWindow}`);
  }
  const target = warmup + o.submits;
  // Twice the submits measured: Temporal splits the queue into partitions, each with its share of the
  // limit, and a partition that runs dry lowers the rate; a deep backlog keeps every one of them busy.
  const thumbnails = Math.ceil((2 * target) / 4);
  const emulator = await createEmulator({
    apiKeys: [API_KEY],
    latencyScale: 0,
    rpm: perWindow,
    rateWindowMs: windowMs,
  });
  const root = await mkdtemp(join(tmpdir(), 'thumbgate-rate-'));
  const taskQueue = `rate-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const connection = await Connection.connect({ address: o.temporalAddress });
  const started: { stop(): Promise<void> }[] = [];
  try {
    const spec = (i: number): RateWorkerSpec => ({
      name: `generation-${i + 1}`,
      temporalAddress: o.temporalAddress,
      taskQueue,
      storeDir: join(root, 'store'),
      outDir: join(root, 'out'),
      segmindBaseUrl: emulator.url,
      segmindApiKey: API_KEY,
      segmindRpm: o.rpm,
    });
    const startedOrFailed = await Promise.allSettled(Array.from({ length: workers }, (_, i) => o.startWorker(spec(i))));
    for (const s of startedOrFailed) if (s.status === 'fulfilled') started.push(s.value);
    const failed = startedOrFailed.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;

    const client = new Client({ connection });
    const batch = await startBatch({
      client,
      store: new LocalBlobStore(join(root, 'store')),
      batchId: `rate-${Date.now()}`,
      briefs: briefs(thumbnails),
      options: resolveBatchOptions({ size: { width: 448, height: 256 }, maxInFlight: thumbnails, rerollFraction: 0 }),
      taskQueue,
    });
    const t0 = Date.now();
    const timeoutMs = o.timeoutMs ?? (2 * target * 60_000) / o.rpm + 60_000;
    while (emulator.billing().length < target) {
      if (Date.now() - t0 > timeoutMs) {
        throw new Error(`only ${emulator.billing().length} of ${target} submits accepted in ${timeoutMs} ms`);
      }
      await sleep(100);
    }
    const accepted = emulator.billing().slice(0, target);
    await batch.handle.terminate('provider-rate measurement done');

    const posts = emulator.requests().filter((r) => r.method === 'POST' && r.path.startsWith('/v2/'));
    const rateLimited = posts.filter((r) => r.status === 429).length;
    const times = accepted.map((b) => b.acceptedAt);
    const steadyWindowMs = times[times.length - 1]! - times[warmup]!;
    const steadyPerMinute = ((times.length - 1 - warmup) * 60_000) / steadyWindowMs;
    // The plan counts a submit when it arrives (before its body is read), so the busiest window is
    // taken over the times the emulator's limiter counted, not the later billing times: a body read
    // that takes a millisecond longer would otherwise show a window with one submit too many.
    const counted = posts
      .map((r) => r.rateCountedAt)
      .filter((t): t is number => t !== undefined)
      .sort((a, b) => a - b);
    let busiestWindow = 0;
    for (let i = 0, j = 0; j < counted.length; j++) {
      while (counted[j]! - counted[i]! >= windowMs) i++;
      busiestWindow = Math.max(busiestWindow, j - i + 1);
    }
    return {
      workers,
      rpm: o.rpm,
      windowMs,
      perWindow,
      submits: posts.length,
      accepted: posts.filter((r) => r.status === 200).length,
      rateLimited,
      rateLimitedShare: rateLimited / posts.length,
      steadyPerMinute,
      steadyShare: steadyPerMinute / o.rpm,
      steadyWindowMs,
      busiestWindow,
      elapsedMs: times[times.length - 1]! - t0,
    };
  } finally {
    await Promise.allSettled(started.map((w) => w.stop()));
    await connection.close();
    await emulator.close();
    await rm(root, { recursive: true, force: true });
  }
}

export function formatRateFigures(f: RateFigures): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  return [
    `plan ${f.rpm}/min (emulator: ${f.perWindow} submits per ${f.windowMs / 1000} s window), ${f.workers} worker processes`,
    `submits ${f.submits}, accepted ${f.accepted}, 429 ${f.rateLimited} (${pct(f.rateLimitedShare)} of submits)`,
    `steady rate ${f.steadyPerMinute.toFixed(1)}/min over ${(f.steadyWindowMs / 1000).toFixed(1)} s = ` +
      `${pct(f.steadyShare)} of the limit; busiest ${f.windowMs / 1000} s window ${f.busiestWindow}/${f.perWindow}`,
  ].join('\n');
}

/** A generation worker process, as `npm run worker` runs it; resolves on its start line. */
async function spawnWorker(spec: RateWorkerSpec): Promise<{ stop(): Promise<void> }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(THUMBGATE_|SEGMIND_|TEMPORAL_)/.test(k)) env[k] = v;
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...env,
      MALLOC_ARENA_MAX: '2',
      TEMPORAL_ADDRESS: spec.temporalAddress,
      THUMBGATE_TASK_QUEUE: spec.taskQueue,
      THUMBGATE_STORE_DIR: spec.storeDir,
      THUMBGATE_OUT_DIR: spec.outDir,
      THUMBGATE_WORKER_ROLES: 'generation',
      THUMBGATE_SEGMIND_RPM: String(spec.segmindRpm),
      SEGMIND_BASE_URL: spec.segmindBaseUrl,
      SEGMIND_API_KEY: spec.segmindApiKey,
    },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-8192)));
  const exit = new Promise<void>((done) => child.once('exit', () => done()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    }
  };
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out = (out + c).slice(-4096);
      if (out.includes('thumbgate worker (')) resolve();
    });
    void exit.then(() => reject(new Error(`${spec.name} exited before starting:\n${stderr}`)));
  });
  return { stop };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rpm: { type: 'string', default: '60' },
      'window-ms': { type: 'string', default: '60000' },
      submits: { type: 'string', default: '150' },
      warmup: { type: 'string', default: '5' },
      workers: { type: 'string', default: '2' },
    },
  });
  const server = process.env.TEMPORAL_ADDRESS ? undefined : await startDevServer({ port: await freePort() });
  try {
    const figures = await measureProviderRate({
      temporalAddress: process.env.TEMPORAL_ADDRESS ?? server!.address,
      startWorker: spawnWorker,
      rpm: Number(values.rpm),
      windowMs: Number(values['window-ms']),
      submits: Number(values.submits),
      warmup: Number(values.warmup),
      workers: Number(values.workers),
    });
    console.log(formatRateFigures(figures));
  } finally {
    await server?.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
