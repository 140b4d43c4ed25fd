/**
 * kill -9 of generation worker processes mid-batch, on the default v2 transport: the batch completes,
 * no job is paid for twice, and the ledger equals the provider's billing to the micro-dollar.
 *
 * The one window nothing can close — between the provider accepting a submit and the worker recording
 * it (milliseconds; docs/provider.md) — is avoided deterministically rather than by luck: each worker
 * process reaches the emulator through its own small proxy, and a worker is killed only when no submit
 * of its own is in flight and every job it submitted is recorded in the store. The proxy then refuses
 * anything more from the dead process (a request already written to the socket would otherwise still
 * reach the provider after the kill, which is exactly that window).
 */
import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, Agent, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { startBatch } from '../client/batch-client.js';
import { LocalBlobStore } from '../node/blob-store.js';
import { createEmulator, type Emulator } from '../emulator/server.js';
import { resolveBatchOptions } from '../shared/batch-options.js';
import type { ThumbnailBrief } from '../shared/thumbnail-brief.js';
import type { ResultsLine } from '../activities/outputs/index.js';
import { startWorkerProcess, stopAllWorkerProcesses, type WorkerProcess } from './helpers/worker-process.js';

const API_KEY = 'crash-test-key';
const BRIEFS = 14;

/** What one worker process sent to the provider, seen from a proxy in front of the emulator. */
class ProviderProxy {
  private server!: Server;
  private readonly sockets = new Set<Socket>();
  private readonly agent = new Agent({ keepAlive: true });
  private cutOff = false;
  /** Submits (POST /v2/<model>) received and not yet answered in full. */
  postsInFlight = 0;
  /** Job ids the provider accepted from this worker. */
  readonly accepted: string[] = [];
  /** Job id → when this worker last polled its status. */
  readonly lastPolled = new Map<string, number>();
  /** Job ids whose result this worker fetched. */
  readonly fetched = new Set<string>();
  url = '';

  constructor(private readonly upstream: string) {}

  async listen(): Promise<void> {
    const target = new URL(this.upstream);
    this.server = createServer((req, res) => {
      if (this.cutOff) {
        req.socket.destroy();
        return;
      }
      const path = req.url ?? '/';
      const isSubmit = req.method === 'POST' && /^\/v2\/[^/]+$/.test(path) && !path.startsWith('/v2/requests');
      const status = /^\/v2\/requests\/([^/]+)\/status$/.exec(path);
      const result = /^\/v2\/requests\/([^/]+)$/.exec(path);
      if (status) this.lastPolled.set(status[1]!, Date.now());
      if (isSubmit) this.postsInFlight++;
      let done = false;
      const finish = () => {
        if (isSubmit && !done) this.postsInFlight--;
        done = true;
      };
      res.once('finish', finish);
      res.once('close', finish);
      const headers = { ...req.headers, host: target.host };
      const up = httpRequest(
        { host: target.hostname, port: target.port, method: req.method, path, headers, agent: this.agent },
        (upRes) => {
          const chunks: Buffer[] = [];
          upRes.on('data', (c: Buffer) => {
            if (isSubmit || result) chunks.push(c);
          });
          upRes.on('end', () => {
            if (upRes.statusCode !== 200) return;
            if (isSubmit) {
              const id = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { request_id: string }).request_id;
              this.accepted.push(id);
            }
            if (result) this.fetched.add(result[1]!);
          });
          const { connection: _c, 'keep-alive': _k, 'transfer-encoding': _t, ...rest } = upRes.headers;
          res.writeHead(upRes.statusCode ?? 502, rest);
          upRes.pipe(res);
        }
      );
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** From now on every request is refused (the worker behind it is being killed). */
  cut(): void {
    this.cutOff = true;
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.cut();
    this.agent.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

interface GenerationWorker {
  process: WorkerProcess;
  proxy: ProviderProxy;
}

/** Request ids of every submission recorded in the store (`records/submissions/<key>.json`). */
async function recordedSubmissions(storeDir: string): Promise<Set<string>> {
  const dir = join(storeDir, 'records', 'submissions');
  const names = await readdir(dir).catch(() => [] as string[]);
  const ids = new Set<string>();
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const text = await readFile(join(dir, name), 'utf8').catch(() => undefined);
    if (text) ids.add((JSON.parse(text) as { requestId: string }).requestId);
  }
  return ids;
}

function briefs(n: number): ThumbnailBrief[] {
  const subjects = ['a drummer mid-solo', 'a volcano made of ice cream', 'a robot gardening', 'a goalkeeper diving'];
  return Array.from({ length: n }, (_, i) => ({
    id: `crash-${String(i + 1).padStart(3, '0')}`,
    prompt: `${subjects[i % subjects.length]}, neon colours, thumbnail ${i + 1}`,
    width: 448,
    height: 256,
  }));
}

describe('worker processes killed with kill -9 mid-batch (v2, real server, emulator)', () => {
  const address = process.env.TEMPORAL_TEST_ADDRESS;
  let emulator: Emulator;
  let root: string;
  let connection: Connection | undefined;
  const proxies: ProviderProxy[] = [];

  beforeAll(async () => {
    if (!address) throw new Error('TEMPORAL_TEST_ADDRESS is not set: run the tests with `npm test`');
    emulator = await createEmulator({ apiKeys: [API_KEY], latencyScale: 1 });
    root = await mkdtemp(join(tmpdir(), 'thumbgate-crash-'));
    connection = await Connection.connect({ address });
  });

  afterAll(async () => {
    await stopAllWorkerProcesses();
    await Promise.all(proxies.map((p) => p.close()));
    await connection?.close();
    await emulator?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  test('two kills, replacements started: every thumbnail delivered, nothing paid twice, ledger = billing', async () => {
    const storeDir = join(root, 'store');
    const taskQueue = `crash-${Date.now()}`;
    const common = { temporalAddress: address!, taskQueue, storeDir, outDir: join(root, 'out') };
    let started = 0;
    const startGeneration = async (): Promise<GenerationWorker> => {
      const proxy = new ProviderProxy(emulator.url);
      proxies.push(proxy);
      await proxy.listen();
      const worker = await startWorkerProcess({
        ...common,
        name: `generation-${++started}`,
        roles: 'generation',
        segmindBaseUrl: proxy.url,
        segmindApiKey: API_KEY,
        segmindRpm: 6000,
      });
      return { process: worker, proxy };
    };
    const [scorer, ...generation] = await Promise.all([
      startWorkerProcess({ ...common, name: 'scoring', roles: 'scoring' }),
      startGeneration(),
      startGeneration(),
    ]);
    expect(scorer).toBeDefined();

    const list = briefs(BRIEFS);
    const batch = await startBatch({
      client: new Client({ connection: connection! }),
      store: new LocalBlobStore(storeDir),
      batchId: `crash-${Date.now()}`,
      briefs: list,
      options: resolveBatchOptions({ size: { width: 448, height: 256 }, maxInFlight: 4, rerollFraction: 0.15 }),
      taskQueue,
    });
    const outcome = batch.handle.result().then(
      (r) => ({ ok: true as const, r }),
      (e: unknown) => ({ ok: false as const, e })
    );
    let finished = false;
    void outcome.then(() => (finished = true));

    /**
     * Waits for a moment when `victim` is polling a job and killing it cannot lose a submit: none of its
     * submits is in flight and every job it submitted is recorded. Then cuts its proxy and kills it.
     * Returns the jobs it was polling.
     */
    const killSafely = async (victim: GenerationWorker, minBilled: number): Promise<string[]> => {
      for (;;) {
        if (finished) throw new Error('the batch finished before a worker could be killed mid-batch');
        await sleep(20);
        if (emulator.billing().length < minBilled || victim.proxy.postsInFlight > 0) continue;
        const acceptedBefore = victim.proxy.accepted.length;
        const recorded = await recordedSubmissions(storeDir);
        const now = Date.now();
        const polling = [...victim.proxy.lastPolled]
          .filter(([id, at]) => now - at < 1_500 && !victim.proxy.fetched.has(id))
          .map(([id]) => id);
        // Synchronous from here to the kill: the in-process emulator cannot accept anything meanwhile.
        if (
          polling.length > 0 &&
          victim.proxy.postsInFlight === 0 &&
          victim.proxy.accepted.length === acceptedBefore &&
          victim.proxy.accepted.every((id) => recorded.has(id))
        ) {
          victim.proxy.cut();
          await victim.process.kill('SIGKILL'); // signals at once, then waits for the exit
          return polling;
        }
      }
    };

    const takenOver: string[][] = [];
    // First kill: once a few thumbnails' drafts are with the provider.
    takenOver.push(await killSafely(generation[0], 8));
    generation.push(await startGeneration());
    // Second kill: the other original worker, after the replacement is up and more has been paid.
    takenOver.push(await killSafely(generation[1], emulator.billing().length + 4));
    generation.push(await startGeneration());

    const done = await outcome;
    if (!done.ok) {
      throw new Error(
        `batch failed: ${String(done.e)}\n${generation.map((g) => `${g.process.name}:\n${g.process.stderr()}`).join('\n')}`
      );
    }
    const result = done.r;

    // Every thumbnail delivered.
    expect(result.succeeded).toBe(BRIEFS);
    expect(result.failed).toEqual([]);
    expect(result.rerolled).toBe(Math.ceil(0.15 * BRIEFS));
    const lines = (await readFile(join(result.outputDir!, 'results.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ResultsLine);
    expect(lines.map((l) => l.id)).toEqual(list.map((b) => b.id));
    for (const line of lines) expect(line.winner).not.toBeNull();

    // Each killed worker was polling jobs; a surviving worker collected them (nothing was bought again).
    for (const jobs of takenOver) {
      expect(jobs.length).toBeGreaterThan(0);
      for (const id of jobs) expect(proxies.some((p) => p.fetched.has(id))).toBe(true);
    }

    // No image paid for twice: every (model, prompt, seed) was billed once.
    const submits = new Map(
      emulator
        .requests()
        .filter((r) => r.method === 'POST' && r.outcome === 'accepted')
        .map((r) => [r.requestId, r])
    );
    const billing = emulator.billing();
    const bought = billing.map((b) => `${b.model}|${submits.get(b.requestId)?.prompt}|${b.seed}`);
    expect(bought.filter((k, i) => bought.indexOf(k) !== i)).toEqual([]);
    expect(billing.filter((b) => b.model === 'flux-schnell')).toHaveLength(4 * BRIEFS);
    expect(billing.filter((b) => b.model === 'flux-1.1-pro')).toHaveLength(result.rerolled);

    // The ledger is the provider's billing, to the micro-dollar.
    expect(result.cost.totals.costMicros).toBe(emulator.totalBilledMicros());
    expect(result.cost.reconciled).toEqual({
      providerChargedMicros: emulator.totalBilledMicros(),
      ledgerMicros: emulator.totalBilledMicros(),
      driftMicros: 0,
    });
  }, 240_000);
});
