/**
 * The figures of one policy on one world's pool, and the side-by-side table. Shares are of the
 * briefs in the pool; costs are the emulator's billing of the candidates the policy bought.
 */
import { isMisspelt, type WorldPool } from './pool.js';
import type { Policy, Shipment } from './policies.js';

export interface PolicyFigures {
  world: string;
  policy: string;
  briefs: number;
  /** Briefs with a winner. */
  shipped: number;
  usableShipped: number;
  /** usableShipped / briefs. */
  usableShare: number;
  /** The oracle's usable share on the same pool. */
  oracleShare: number;
  /** (share − no gate's) / (oracle's − no gate's); null when the oracle is no better than no gate. */
  efficiency: number | null;
  /** Unusable winners with a pixel defect, and with misspelt text (one winner may count in both). */
  missesPixel: number;
  missesText: number;
  meanScore: number;
  p10Score: number;
  /** Provider calls (images bought) and HTTP API requests per brief. */
  callsPerThumbnail: number;
  requestsPerThumbnail: number;
  billedMicros: number;
  /** billed / shipped, billed / usable shipped (null when nothing usable shipped). */
  costPerDelivered: number | null;
  costPerUsable: number | null;
  /** Buying and scoring time of what the policy bought, per brief, run one after another. */
  secondsPerThumbnail: number;
}

/** The p-quantile (0–1) of `values` by the nearest-rank rule; NaN for none. */
export function quantile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

function usableShare(shipments: readonly Shipment[], briefs: number): number {
  return briefs === 0 ? 0 : shipments.filter((s) => s.winner?.usable).length / briefs;
}

/** Every policy's figures on one pool; `baseline` and `ceiling` name the policies efficiency is measured between. */
export function figuresFor(
  pool: WorldPool,
  policies: readonly Policy[],
  baseline: Policy,
  ceiling: Policy
): PolicyFigures[] {
  const n = pool.briefs.length;
  const base = usableShare(baseline.ship(pool.briefs), n);
  const top = usableShare(ceiling.ship(pool.briefs), n);
  return policies.map((policy) => {
    const shipments = policy.ship(pool.briefs);
    const winners = shipments.flatMap((s) => (s.winner ? [s.winner] : []));
    const bought = shipments.flatMap((s) => s.bought);
    const usable = winners.filter((w) => w.usable).length;
    const share = usableShare(shipments, n);
    const billed = bought.reduce((sum, c) => sum + c.costMicros, 0);
    const scores = winners.map((w) => w.score);
    const misses = winners.filter((w) => !w.usable);
    return {
      world: pool.world.name,
      policy: policy.name,
      briefs: n,
      shipped: winners.length,
      usableShipped: usable,
      usableShare: share,
      oracleShare: top,
      efficiency: top > base ? (share - base) / (top - base) : null,
      missesPixel: misses.filter((w) => w.defect !== 'clean').length,
      missesText: misses.filter(isMisspelt).length,
      meanScore: scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : Number.NaN,
      p10Score: quantile(scores, 0.1),
      callsPerThumbnail: n ? bought.length / n : 0,
      requestsPerThumbnail: n ? bought.reduce((sum, c) => sum + c.requests, 0) / n : 0,
      billedMicros: billed,
      costPerDelivered: winners.length ? billed / winners.length : null,
      costPerUsable: usable ? billed / usable : null,
      secondsPerThumbnail: n ? bought.reduce((sum, c) => sum + c.buyMs + c.scoreMs, 0) / 1000 / n : 0,
    };
  });
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const usd = (micros: number | null): string => (micros === null ? '—' : `$${(micros / 1e6).toFixed(4)}`);
const num = (x: number, digits = 3): string => (Number.isNaN(x) ? '—' : x.toFixed(digits));

/** A Markdown table, one row per (world, policy). */
export function table(rows: readonly PolicyFigures[]): string {
  const head = [
    'world',
    'policy',
    'usable shipped',
    'oracle',
    'gate efficiency',
    'misses: pixel / text',
    'winner score mean / p10',
    'calls / requests per thumb',
    '$ per delivered',
    '$ per usable',
    'gen+score s/thumb',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    lines.push(
      `| ${[
        r.world,
        r.policy,
        `${pct(r.usableShare)} (${r.usableShipped}/${r.briefs})`,
        pct(r.oracleShare),
        r.efficiency === null ? '—' : num(r.efficiency, 2),
        `${r.missesPixel} / ${r.missesText}`,
        `${num(r.meanScore)} / ${num(r.p10Score)}`,
        `${num(r.callsPerThumbnail, 2)} / ${num(r.requestsPerThumbnail, 2)}`,
        usd(r.costPerDelivered),
        usd(r.costPerUsable),
        num(r.secondsPerThumbnail, 2),
      ].join(' | ')} |`
    );
  }
  return lines.join('\n');
}
