/**
 * Issue 8, the fault matrix, on the default v2 transport (emulator over HTTP, one pipeline for both
 * tests, `emulator.reset()` and a fresh fault config before each):
 *
 * 1. The matrix the issue asks for: a 100-brief batch through every fault kind the provider accounts
 *    for. Drafts (flux-schnell) get seeded random faults of every transient kind (pre-acceptance 500,
 *    503, 429, hang; media truncate, junk-200, slow-drip, oversized); the re-rolls (flux-1.1-pro, one
 *    candidate each) get a script with each transient kind once. All thumbnails and every re-roll are
 *    delivered, every image is paid once, and the ledger is the provider's bill: reconciled drift 0.
 * 2. Jobs whose cost the provider never reports (`job-failed`, `expired`: billed, but 422 / 410 carry
 *    no metrics, and never submitted again with the same request, so only drafts, which have four
 *    candidates, take them). Everything is still delivered; each such job is in the ledger once, at the
 *    price card's estimate (`basis: 'price-card'`, `outcome: 'unusable'`), every other entry is the
 *    provider's figure, and the drift is exactly those estimates' error (each within 5 % of the charge).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startBatch } from '../client/batch-client.js';
import { resolveBatchOptions, rerollCount, type BatchOptions } from '../shared/batch-options.js';
import type { BatchResult } from '../shared/batch-workflow.js';
import { testBriefs } from './helpers/briefs.js';
import type { ThumbnailBrief } from '../shared/thumbnail-brief.js';
import type { FaultKind, ScriptedFault } from '../emulator/faults.js';
import type { BillingEntry, RequestRecord } from '../emulator/server.js';
import { startPipeline, type Pipeline } from './helpers/pipeline.js';

/** Refused before acceptance, not billed: the workflow submits again. */
const BEFORE_ACCEPTANCE: FaultKind[] = ['500', '503', '429', 'hang'];
/** v2: the job is accepted (billed) and its first media download is spoiled; collecting again is free. */
const MEDIA: FaultKind[] = ['truncate', 'junk-200', 'slow-drip', 'oversized'];
/** Every kind whose job the provider accounts for: unbilled, or billed with its cost reported. */
const TRANSIENT: FaultKind[] = [...BEFORE_ACCEPTANCE, ...MEDIA];
/** v2 only, billed, deterministic for the request, cost never reported: the candidate is lost. */
const UNREPORTED: FaultKind[] = ['job-failed', 'expired'];

const isSubmit = (r: RequestRecord) => r.method === 'POST' && r.api === 'v2' && /^\/v2\/[^/]+$/.test(r.path);
const isMedia = (r: RequestRecord) => r.path.startsWith('/v2/media/');
const isResult = (r: RequestRecord) => /^\/v2\/requests\/[^/]+$/.test(r.path);
const isStatus = (r: RequestRecord) => /^\/v2\/requests\/[^/]+\/status$/.test(r.path);

const makeBriefs = (n: number, idPrefix: string, label: string): ThumbnailBrief[] =>
  testBriefs(n, idPrefix, { extra: () => `, ${label}` });

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

/**
 * No image paid for twice. On v2 the rules allow no second charge for the same request at all:
 * pre-acceptance faults are not billed, a spoiled download is fetched again for free, and a
 * job-failed or expired job is paid but its request is never sent again. So every candidate slot is
 * bought exactly once: 4 drafts per brief, 1 per re-roll.
 */
function expectEachSlotPaidOnce(
  submits: RequestRecord[],
  billing: BillingEntry[],
  result: BatchResult,
  thumbnails: number
): void {
  const promptOf = new Map(submits.map((r) => [r.requestId, r.prompt]));
  const charges = count(billing, (b) => `${b.model}|${promptOf.get(b.requestId) ?? '?'}|${b.seed}`);
  expect(Object.entries(charges).filter(([, n]) => n > 1)).toEqual([]);
  expect(billing.every((b) => promptOf.has(b.requestId))).toBe(true);
  expect(billing.filter((b) => b.model === 'flux-schnell')).toHaveLength(thumbnails * 4);
  expect(billing.filter((b) => b.model === 'flux-1.1-pro')).toHaveLength(rerollCount(thumbnails, 0.1));
  expect(result.cost.totals.calls).toBe(billing.length);
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
        // No faults here: each test resets the emulator and configures its own.
      },
      headersTimeoutMs: 1_500, // a hung submit gives up after this
      segmind: { exchangeTimeoutMs: 2_500, maxBodyBytes: 4 * 1024 * 1024 },
      retryDelays: { initialIntervalMs: 50, maxIntervalMs: 400, backoffCoefficient: 2, maxRetryAfterMs: 2_000 },
    });
  });
  afterAll(() => p?.teardown());

  async function runBatch(
    batchId: string,
    briefs: ThumbnailBrief[],
    options: Partial<BatchOptions> = {}
  ): Promise<BatchResult> {
    const started = await startBatch({
      client: p.env.client,
      store: p.store,
      batchId,
      briefs,
      options: resolveBatchOptions({ size: { width: 448, height: 256 }, maxInFlight: 20, ...options }),
      taskQueue: p.taskQueue,
    });
    expect(started.outcome).toBe('started');
    return started.handle.result();
  }

  describe('every fault kind the provider accounts for', () => {
    const THUMBNAILS = 100;
    /** Fixed, so the seeds (derived from the batch id) and with them the random faults are the same every run. */
    const BATCH_ID = 'fault-matrix-100';
    const FAULT_SEED = 8;
    /** ≈ 19 % of draft submits faulted; a retry draws again. */
    const DRAFT_RATES: Partial<Record<FaultKind, number>> = {
      '500': 0.03,
      '503': 0.03,
      '429': 0.03,
      hang: 0.015,
      truncate: 0.03,
      'junk-200': 0.02,
      'slow-drip': 0.015,
      oversized: 0.015,
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

    test(`${THUMBNAILS} briefs through every transient fault kind: all delivered, every re-roll delivered, each image paid once, reconciled drift 0`, async () => {
      p.emulator.reset();
      p.emulator.faults.configure({
        random: { seed: FAULT_SEED, rates: DRAFT_RATES, model: 'flux-schnell', api: 'v2' },
        script: REROLL_SCRIPT,
        retryAfterSeconds: 1,
      });
      const result = await runBatch(BATCH_ID, makeBriefs(THUMBNAILS, 'fm', 'fault matrix'));

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
      // The numbers the issue asks for, in the test log.
      console.log(
        JSON.stringify({
          test: 'matrix',
          fired,
          firedOnRerolls,
          submits: submits.length,
          billed: billing.length,
          driftMicros: result.cost.reconciled?.driftMicros,
        })
      );

      // Every thumbnail and every re-roll delivered.
      expect(result.failed).toEqual([]);
      expect(result.succeeded).toBe(THUMBNAILS);
      expect(result.rerolls).toHaveLength(THUMBNAILS / 10);
      expect(result.rerolled).toBe(THUMBNAILS / 10);

      // The ledger is the provider's bill: one entry per charge, each the provider's own figure, exact
      // to the micro-dollar, and the reconciliation against the provider's balance has no drift.
      const ledger = await ledgerRows(result.outputDir!);
      const charged = new Map(billing.map((b) => [b.requestId, b]));
      expect(ledger.map((e) => e.requestId).sort()).toEqual([...charged.keys()].sort());
      expect(ledger.filter((e) => e.basis !== 'provider')).toEqual([]);
      expect(ledger.filter((e) => e.costMicros !== charged.get(e.requestId)!.costMicros)).toEqual([]);
      expect(result.cost.reconciled?.providerChargedMicros).toBe(p.emulator.totalBilledMicros());
      expect(result.cost.reconciled?.driftMicros).toBe(0);
      expect(result.cost.totals.costMicros).toBe(p.emulator.totalBilledMicros());

      // Not vacuous: every kind fired, and struck where it is meant to.
      expect(TRANSIENT.filter((kind) => !((fired[kind] ?? 0) > 0))).toEqual([]);
      for (const kind of TRANSIENT) expect([kind, firedOnRerolls[kind] ?? 0]).toEqual([kind, 1]);
      expect(p.emulator.faults.pending()).toEqual([]); // the whole re-roll script was used
      expect(Object.keys(fired).sort()).toEqual([...TRANSIENT].sort()); // and nothing else fired
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
      // Every billed job completed and was collected.
      expect(billing.filter((b) => b.outcome !== 'ok')).toEqual([]);

      expectEachSlotPaidOnce(submits, billing, result, THUMBNAILS);
    });
  });

  describe('jobs whose cost the provider never reports', () => {
    const THUMBNAILS = 16;
    const BATCH_ID = 'fault-matrix-unreported-16';
    const FAULT_SEED = 8;
    /** ≈ 12 % of drafts lost; only drafts, so the re-rolls (one candidate each) are clean. */
    const DRAFT_RATES: Partial<Record<FaultKind, number>> = { 'job-failed': 0.06, expired: 0.06 };

    test(`${THUMBNAILS} briefs, drafts ending FAILED or expired: all delivered, each lost job in the ledger once at the price card, drift = those estimates' error`, async () => {
      p.emulator.reset();
      p.emulator.faults.configure({
        random: { seed: FAULT_SEED, rates: DRAFT_RATES, model: 'flux-schnell', api: 'v2' },
        script: [],
      });
      // Drafts are lost on purpose: early on their share can pass the default 15 % of spend on unusable
      // images that stops a batch (checked as thumbnails finish, so in a varying order): that guard
      // is not what this test is about, so it is off. The run of unusable calls in a row stays under
      // its limit (10) whatever the order: a thumbnail loses at most three of its four drafts.
      const result = await runBatch(BATCH_ID, makeBriefs(THUMBNAILS, 'fu', 'unreported cost'), {
        maxUnusableShare: 1,
      });

      const requests = p.emulator.requests();
      const billing = p.emulator.billing();
      const submits = requests.filter(isSubmit);
      const unreported = submits.filter((r) => r.fault && UNREPORTED.includes(r.fault));
      const unreportedIds = new Set(unreported.map((r) => r.requestId));
      const fired = count(
        submits.filter((r) => r.fault),
        (r) => r.fault
      );

      // Everything still delivered: a lost draft leaves three candidates, and the re-rolls were clean.
      expect(result.failed).toEqual([]);
      expect(result.succeeded).toBe(THUMBNAILS);
      expect(result.rerolls).toHaveLength(rerollCount(THUMBNAILS, 0.1));
      expect(result.rerolled).toBe(rerollCount(THUMBNAILS, 0.1));

      // Not vacuous: both kinds fired, on drafts only, and no brief lost all four drafts.
      expect(Object.keys(fired).sort()).toEqual([...UNREPORTED].sort());
      expect(unreported.every((r) => r.model === 'flux-schnell')).toBe(true);
      const lost = count(unreported, (r) => r.prompt);
      expect(Math.max(...Object.values(lost))).toBeLessThan(4);
      // job-failed answered 422 FAILED, expired answered 410; both were billed.
      const resultCalls = requests.filter((r) => isResult(r) || isStatus(r));
      for (const job of unreported) {
        const status = job.fault === 'job-failed' ? 422 : 410;
        expect({
          job: job.requestId,
          answered: resultCalls.some((r) => r.requestId === job.requestId && r.status === status),
        }).toEqual({ job: job.requestId, answered: true });
      }
      expect(billing.filter((b) => b.outcome === 'failed')).toHaveLength(fired['job-failed']!);

      // The ledger: one entry per charge; each lost job exactly once, at the price card's estimate,
      // marked unusable; every other entry the provider's own figure, exact to the micro-dollar.
      const ledger = await ledgerRows(result.outputDir!);
      const charged = new Map(billing.map((b) => [b.requestId, b]));
      expect(ledger.map((e) => e.requestId).sort()).toEqual([...charged.keys()].sort());
      const lostEntries = ledger.filter((e) => unreportedIds.has(e.requestId));
      expect(lostEntries.map((e) => e.requestId).sort()).toEqual([...unreportedIds].sort());
      expect(lostEntries.filter((e) => e.basis !== 'price-card' || e.outcome !== 'unusable')).toEqual([]);
      const others = ledger.filter((e) => !unreportedIds.has(e.requestId));
      expect(others.filter((e) => e.basis !== 'provider')).toEqual([]);
      expect(others.filter((e) => e.costMicros !== charged.get(e.requestId)!.costMicros)).toEqual([]);

      // The drift is exactly the estimates' error on those jobs (a flux-schnell charge jitters ±4 %
      // around the card), each estimate within 5 % of what was charged.
      const errors = lostEntries.map((e) => ({
        requestId: e.requestId,
        estimate: e.costMicros,
        charged: charged.get(e.requestId)!.costMicros,
      }));
      const estimateError = errors.reduce((sum, e) => sum + e.estimate - e.charged, 0);
      console.log(
        JSON.stringify({
          test: 'unreported',
          fired,
          submits: submits.length,
          billed: billing.length,
          driftMicros: result.cost.reconciled?.driftMicros,
          estimateError,
        })
      );
      for (const e of errors) expect(Math.abs(e.estimate - e.charged)).toBeLessThanOrEqual(0.05 * e.charged);
      expect(result.cost.reconciled?.providerChargedMicros).toBe(p.emulator.totalBilledMicros());
      expect(result.cost.reconciled?.driftMicros).toBe(estimateError);
      expect(result.cost.totals.costMicros).toBe(p.emulator.totalBilledMicros() + estimateError);

      expectEachSlotPaidOnce(submits, billing, result, THUMBNAILS);
    });
  });
});
