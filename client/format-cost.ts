import type { BatchCost, BatchResult } from '../shared/batch-workflow.js';
import { formatUsd } from '../shared/money.js';
import { FLUX_MODELS } from '../shared/price-card.js';
import { withFix } from '../shared/failures.js';
import { table } from './output.js';

/** The cost table people read: spend by phase and model, cost per usable thumbnail, counterfactuals. */
export function formatCost(cost: BatchCost): string {
  const t = cost.totals;
  const rows: string[][] = [['', 'calls', 'GPU-s', 'spend']];
  for (const phase of ['draft', 'reroll'] as const) {
    rows.push([
      `${phase === 'draft' ? 'drafts' : 're-rolls'}`,
      String(t.byPhase[phase].calls),
      '',
      formatUsd(t.byPhase[phase].costMicros),
    ]);
  }
  for (const model of FLUX_MODELS) {
    const m = t.byModel[model];
    if (m)
      rows.push([`  ${model}`, String(m.calls), m.gpuSeconds ? m.gpuSeconds.toFixed(3) : '', formatUsd(m.costMicros)]);
  }
  if (t.unusableCalls > 0)
    rows.push(['billed but unusable', String(t.unusableCalls), '', formatUsd(t.unusableCostMicros)]);
  rows.push(['total', String(t.calls), '', formatUsd(t.costMicros)]);
  // What the amounts rest on: only `provider` rows are the provider's own figures.
  for (const [basis, label] of [
    ['provider', '  confirmed by the provider'],
    ['price-card', '  estimated (price card)'],
    ['suspect', '  suspect (not an image, billing evidence)'],
  ] as const) {
    const b = t.byBasis[basis];
    if (b.calls > 0) rows.push([label, String(b.calls), '', formatUsd(b.costMicros)]);
  }
  const lines = [table(rows), ''];
  const r = cost.reconciled;
  if (r) {
    // Over 1% apart means calls the ledger does not know (or another spender on the account).
    const flagged = Math.abs(r.driftMicros) > 0.01 * Math.max(r.providerChargedMicros, 1);
    lines.push(
      `provider charged ${formatUsd(r.providerChargedMicros)} (balance at start − at end); ledger ` +
        `${formatUsd(r.ledgerMicros)}; drift ${formatUsd(r.driftMicros)}` +
        (flagged ? '  ⚠ over 1%: check ledger.csv against the Segmind dashboard' : ''),
      ''
    );
  }
  lines.push(
    `usable thumbnails: ${cost.usableThumbnails}; cost per usable thumbnail: ${formatUsd(cost.costPerUsableMicros)}`,
    '',
    table([
      ['compared with', 'per thumbnail', 'batch'],
      ['this batch (actual)', formatUsd(cost.costPerUsableMicros), formatUsd(t.costMicros)],
      ...cost.counterfactuals.map((c) => [c.label, formatUsd(c.perThumbnailMicros), formatUsd(c.totalMicros)]),
    ])
  );
  return lines.join('\n');
}

export function formatResult(result: BatchResult): string {
  const lines = [
    `batch ${result.batchId}: ${result.succeeded}/${result.thumbnails} thumbnails succeeded` +
      (result.runs > 1 ? ` (${result.runs} runs)` : ''),
    `re-rolled ${result.rerolled}, re-roll won ${result.rerollWins}`,
  ];
  if (result.status === 'budget-stopped') lines.push(`stopped by budget: ${result.budgetStop ?? 'limit reached'}`);
  const n = result.notification;
  if (n) {
    lines.push(
      n.outcome === 'delivered'
        ? `completion callback delivered to ${n.url}`
        : `completion callback ${n.outcome === 'refused' ? 'refused' : 'NOT delivered'} to ${n.url}: ${n.error}`
    );
  }
  const failed = result.failed.length + result.failedUnlisted;
  if (failed > 0) {
    lines.push(`failed ${failed}:`);
    for (const f of result.failed.slice(0, 20)) lines.push(`  ${f.id} (${f.phase}): ${withFix(f.type, f.reason)}`);
    if (failed > 20) lines.push(`  … and ${failed - 20} more (see results.jsonl)`);
  }
  if (result.outputDir) lines.push(`outputs: ${result.outputDir}`);
  lines.push('', formatCost(result.cost));
  return lines.join('\n');
}
