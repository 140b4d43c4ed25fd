/**
 * Issue 8, the fault matrix: a 100-brief batch on the default v2 transport while the emulator injects
 * every fault kind it has. Drafts (flux-schnell) get seeded random faults of every kind, including the
 * deterministic v2 ones (`job-failed`, `expired`: paid, never retried with the same request, so only
 * drafts, which have four candidates, may take them); the re-rolls (flux-1.1-pro, one candidate each)
 * get a script with each transient kind once. Everything must still be delivered, paid once and
 * reconciled to the micro-dollar.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startBatch } from '../client/batch-client.js';
import { resolveBatchOptions } from '../shared/batch-options.js';
import type { ThumbnailBrief } from '../shared/thumbnail-brief.js';
import type { FaultKind, ScriptedFault } from '../emulator/faults.js';
import type { RequestRecord } from '../emulator/server.js';
import { startPipeline, type Pipeline } from './helpers/pipeline.js';

const THUMBNAILS = 100;
/** Fixed, so the seeds (derived from the batch id) and with them the random faults are the same every run. */
const BATCH_ID = 'fault-matrix-100';
const FAULT_SEED = 8;

/** Refused before acceptance, not billed: the workflow submits again. */
const BEFORE_ACCEPTANCE: FaultKind[] = ['500', '503', '429', 'hang'];
/** v2: the job is accepted (billed) and its first media download is spoiled; collecting again is free. */
const MEDIA: FaultKind[] = ['truncate', 'junk-200', 'slow-drip', 'oversized'];
const TRANSIENT: FaultKind[] = [...BEFORE_ACCEPTANCE, ...MEDIA];
/** v2 only, billed, deterministic for the request: the candidate is lost (a draft has three more). */
const DETERMINISTIC: FaultKind[] = ['job-failed', 'expired'];
const EVERY_KIND: FaultKind[] = [...TRANSIENT, ...DETERMINISTIC];

/** ≈ 23 % of draft submits faulted; a retry draws again. */
const DRAFT_RATES: Partial<Record<FaultKind, number>> = {
  '500': 0.03,
  '503': 0.03,
  '429': 0.03,
  hang: 0.015,
  truncate: 0.03,
  'junk-200': 0.02,
  'slow-drip': 0.015,
  oversized: 0.015,
  'job-failed': 0.02,
  expired: 0.02,
};

/**
 * Each transient kind once on the re-roll model. A re-roll can take at most the four pre-acceptance
 * entries (one per submit) and still has a fifth attempt; a media fault costs only a second download.
 */
const REROLL_SCRIPT: ScriptedFault[] = [
  { kind: '500', model: 'flux-1.1-pro' },
  { kind: 'truncate', model: 'flux-1.1-pro' },
  { kind: '429', model: 'flux-1.1-pro', retryAfterSeconds: 1 },
  { kind: 'junk-200', model: 'flux-1.1-pro' },
  { kind: 'hang', model: 'flux-1.1-pro' },
  { kind: 'slow-drip', model: 'flux-1.1-pro' },
  { kind: '503', model: 'flux-1.1-pro' },
  { kind: 'oversized', model: 'flux-1.1-pro' },
];

const SUBJECTS = [
  'a gamer screaming at a glowing monitor',
  'a chef tossing flaming noodles',
  'a hiker on a cliff edge at sunrise',
  'a scientist holding a fizzing beaker',
  'a cat wearing tiny sunglasses',
];

const briefs: ThumbnailBrief[] = Array.from({ length: THUMBNAILS }, (_, i) => ({
  id: `fm-${String(i + 1).padStart(3, '0')}`,
  prompt: `${SUBJECTS[i % SUBJECTS.length]}, bold colours, fault matrix ${i + 1}`,
  width: 448,
  height: 256,
}));

const isSubmit = (r: RequestRecord) => r.method === 'POST' && r.api === 'v2' && /^\/v2\/[^/]+$/.test(r.path);
const isMedia = (r: RequestRecord) => r.path.startsWith('/v2/media/');
const isResult = (r: RequestRecord) => /^\/v2\/requests\/[^/]+$/.test(r.path);
const isStatus = (r: RequestRecord) => /^\/v2\/requests\/[^/]+\/status$/.test(r.path);

interface LedgerRow {
  requestId: string;
  costMicros: number;
  basis: string;
  outcome: string;
}

/** The batch's ledger.csv (one row per billed call; plain fields, no quoting needed). */
async function ledgerRows(outputDir: string): Promise<LedgerRow[]> {
  const [head, ...rows] = (await readFile(join(outputDir, 'ledger.csv'), 'utf8')).trim().split(/\r?\n/);
  const cols = head!.split(',');
  const at = (name: string) => cols.indexOf(name);
  return rows.map((line) => {
    const f = line.split(',');
    return {
      requestId: f[at('request_id')]!,
      costMicros: Math.round(Number(f[at('cost_usd')]) * 1e6),
      basis: f[at('cost_basis')]!,
      outcome: f[at('outcome')]!,
    };
  });
}

function count<T>(items: T[], key: (item: T) => string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) {
    const k = key(item);
    if (k !== undefined) out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

describe('fault matrix (real server, emulator over HTTP, tiny CLIP, v2 transport)', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline({
      emulator: {
        latencyScale: 0,
        // A dripped 448×256 draft (tens of KB) would take many seconds: the 2.5 s exchange deadline cuts it.
        dripBytesPerSecond: 1024,
        // Over the client's 4 MiB cap, small enough to stream in a moment.
        oversizedBytes: 6 * 1024 * 1024,
        faults: {
          random: { seed: FAULT_SEED, rates: DRAFT_RATES, model: 'flux-schnell', api: 'v2' },
          script: REROLL_SCRIPT,
          retryAfterSeconds: 1,
        },
      },
      headersTimeoutMs: 1_500, // a hung submit gives up after this
      segmind: { exchangeTimeoutMs: 2_500, maxBodyBytes: 4 * 1024 * 1024 },
      retryDelays: { initialIntervalMs: 50, maxIntervalMs: 400, backoffCoefficient: 2, maxRetryAfterMs: 2_000 },
    });
  });
  afterAll(() => p?.teardown());

  test(`${THUMBNAILS} briefs through every fault kind: all delivered, every re-roll delivered, each image paid once, ledger = bill`, async () => {
    const started = await startBatch({
      client: p.env.client,
      store: p.store,
      batchId: BATCH_ID,
      briefs,
      options: resolveBatchOptions({ size: { width: 448, height: 256 }, maxInFlight: 20 }),
      taskQueue: p.taskQueue,
    });
    expect(started.outcome).toBe('started');
    const result = await started.handle.result();

    const requests = p.emulator.requests();
    const billing = p.emulator.billing();
    const submits = requests.filter(isSubmit);
    const fired = count(
      submits.filter((r) => r.fault),
      (r) => r.fault
    );
    const firedOnRerolls = count(
      submits.filter((r) => r.fault && r.model === 'flux-1.1-pro'),
      (r) => r.fault
    );
    // Every thumbnail and every re-roll delivered.
    expect(result.failed).toEqual([]);
    expect(result.succeeded).toBe(THUMBNAILS);
    expect(result.rerolls).toHaveLength(THUMBNAILS / 10);
    expect(result.rerolled).toBe(THUMBNAILS / 10);

    // The ledger is the provider's bill: one entry per charge, and every amount the provider reported
    // is exact to the micro-dollar.
    const ledger = await ledgerRows(result.outputDir!);
    const charged = new Map(billing.map((b) => [b.requestId, b]));
    expect(ledger.map((e) => e.requestId).sort()).toEqual([...charged.keys()].sort());
    const inexact = ledger.filter((e) => e.costMicros !== charged.get(e.requestId)!.costMicros);
    expect(inexact.filter((e) => e.basis !== 'price-card')).toEqual([]);
    expect(result.cost.reconciled?.providerChargedMicros).toBe(p.emulator.totalBilledMicros());
    // FINDING (reported with issue 8): a job that ends FAILED or whose result expired is billed, but
    // the provider never says what it cost (422 / 410 carry no metrics), so the ledger keeps the
    // price card's estimate for it and the drift is exactly the estimates' error on those jobs (a
    // flux-schnell charge jitters ±4 % around the card). Every other entry is exact. Once thumbgate
    // decides how to settle those (or the issue accepts the estimate), this becomes `toBe(0)`.
    const deterministicJobs = new Set(
      submits.filter((r) => r.fault && DETERMINISTIC.includes(r.fault)).map((r) => r.requestId)
    );
    expect(inexact.filter((e) => !deterministicJobs.has(e.requestId) || e.outcome !== 'unusable')).toEqual([]);
    const estimateError = inexact.reduce((sum, e) => sum + e.costMicros - charged.get(e.requestId)!.costMicros, 0);
    expect(result.cost.reconciled?.driftMicros).toBe(estimateError);
    expect(result.cost.totals.costMicros).toBe(p.emulator.totalBilledMicros() + estimateError);
    // The numbers the issue asks for, in the test log.
    console.log(
      JSON.stringify({
        fired,
        firedOnRerolls,
        submits: submits.length,
        billed: billing.length,
        driftMicros: result.cost.reconciled?.driftMicros,
        estimatedEntries: inexact.length,
      })
    );
    for (const e of inexact) {
      expect(Math.abs(e.costMicros - charged.get(e.requestId)!.costMicros)).toBeLessThanOrEqual(0.05 * e.costMicros);
    }

    // Not vacuous: every kind fired, and struck where it is meant to.
    expect(EVERY_KIND.filter((kind) => !((fired[kind] ?? 0) > 0))).toEqual([]);
    for (const kind of TRANSIENT) expect([kind, firedOnRerolls[kind] ?? 0]).toEqual([kind, 1]);
    expect(p.emulator.faults.pending()).toEqual([]); // the whole re-roll script was used
    expect(Object.keys(fired).sort()).toEqual([...EVERY_KIND].sort()); // and nothing else fired
    // Pre-acceptance faults were answered (or hung) and billed nothing.
    for (const r of submits.filter((s) => s.fault && BEFORE_ACCEPTANCE.includes(s.fault))) {
      expect({ fault: r.fault, costMicros: r.costMicros }).toEqual({ fault: r.fault, costMicros: 0 });
    }
    expect(submits.filter((r) => r.fault === 'hang').every((r) => r.outcome === 'hang')).toBe(true);
    // A media fault spoiled exactly the first download of its job, and the job was collected again.
    const mediaFaulted = submits.filter((r) => r.fault && MEDIA.includes(r.fault));
    const downloads = requests.filter(isMedia);
    for (const job of mediaFaulted) {
      const ofJob = downloads.filter((d) => d.requestId === job.requestId);
      expect({ job: job.fault, downloads: ofJob.map((d) => d.fault ?? d.outcome) }).toEqual({
        job: job.fault,
        downloads: [job.fault, 'ok'],
      });
    }
    // job-failed answered 422 FAILED, expired answered 410 — and neither was submitted again.
    const resultCalls = requests.filter((r) => isResult(r) || isStatus(r));
    for (const job of submits.filter((r) => r.fault === 'job-failed')) {
      expect(resultCalls.some((r) => r.requestId === job.requestId && r.status === 422)).toBe(true);
    }
    for (const job of submits.filter((r) => r.fault === 'expired')) {
      expect(resultCalls.some((r) => r.requestId === job.requestId && r.status === 410)).toBe(true);
    }
    expect(billing.filter((b) => b.outcome === 'failed')).toHaveLength(fired['job-failed']!);
    // No brief lost all four drafts to them (its thumbnail would fail, and it must not be re-rolled).
    const lost = count(
      submits.filter((r) => r.fault && DETERMINISTIC.includes(r.fault)),
      (r) => r.prompt
    );
    expect(Math.max(...Object.values(lost))).toBeLessThan(4);

    // No image paid for twice. On v2 the rules allow no second charge for the same request at all:
    // pre-acceptance faults are not billed, a spoiled download is fetched again for free, and a
    // job-failed or expired job is paid but its request is never sent again.
    const promptOf = new Map(submits.map((r) => [r.requestId, r.prompt]));
    const charges = count(billing, (b) => `${b.model}|${promptOf.get(b.requestId) ?? '?'}|${b.seed}`);
    expect(Object.entries(charges).filter(([, n]) => n > 1)).toEqual([]);
    expect(billing.every((b) => promptOf.has(b.requestId))).toBe(true);
    // So every candidate slot was bought exactly once: 4 drafts per brief, 1 per re-roll.
    expect(billing.filter((b) => b.model === 'flux-schnell')).toHaveLength(THUMBNAILS * 4);
    expect(billing.filter((b) => b.model === 'flux-1.1-pro')).toHaveLength(THUMBNAILS / 10);
    expect(result.cost.totals.calls).toBe(billing.length);
  });
});
