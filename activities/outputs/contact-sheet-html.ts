/**
 * contact-sheet.html: a self-contained page (inline CSS, relative links only) with a header of batch
 * totals and counterfactuals and one row per thumbnail showing every candidate. All text that comes
 * from briefs or providers is escaped.
 */
import type { BatchCost } from '../../shared/batch-workflow.js';
import { formatUsd } from '../../shared/money.js';
import type { BatchCounts } from './summary.js';
import { escapeMarkup as e } from './escape.js';
import {
  CONTACT_SHEET_JPG,
  LEDGER_FILE,
  RESULTS_FILE,
  SUMMARY_FILE,
  previewPath,
  winnerFileName,
} from './output-names.js';
import { describeComponents } from '../../shared/decision/score-explanation.js';
import { isSameCandidate } from '../../shared/decision/winner.js';
import { scoreComponents } from './score-components.js';
import type { ThumbnailOutcome } from './thumbnail-outcome.js';

export const RANDOM_WEIGHTS_HTML_NOTICE = 'scores from a randomly initialised test model — not quality judgements';

export interface ContactSheetPage {
  batchId: string;
  workflowId: string;
  counts: BatchCounts;
  cost: BatchCost;
  randomWeights: boolean;
  /** Thumbnails drawn in contact-sheet.jpg (the HTML always lists all of them). */
  imageRows: number;
  /** Why contact-sheet.jpg could not be drawn; the page then says so instead of linking it. */
  imageError?: string;
  /** Sum of ledger.csv, which should equal `cost.totals.costMicros`. */
  ledgerCostMicros: number;
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#18181b;color:#f4f4f5}
header{padding:16px 24px;border-bottom:1px solid #3f3f46}
h1{margin:0 0 8px;font-size:22px}
.notice{background:#b91c1c;color:#fff;font-weight:bold;font-size:18px;padding:12px 24px}
.warn{color:#fca5a5}
table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #3f3f46;padding:3px 8px;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.legend span{display:inline-block;padding:0 6px;margin-right:8px;border:3px solid}
.row{display:flex;gap:16px;padding:12px 24px;border-bottom:1px solid #3f3f46}
.row.failed{background:#2a1212}
.label{width:300px;flex:none;overflow-wrap:anywhere}
.label h2{margin:0;font-size:16px}
.prompt{color:#d4d4d8}
.why{color:#bbf7d0;font-size:13px}
.meta,.muted{color:#a1a1aa;font-size:12px}
.status-failed{color:#fca5a5;font-weight:bold}
.cands{display:flex;flex-wrap:wrap;gap:10px}
figure{margin:0;width:200px;border:4px solid transparent;padding:2px}
figure.reroll{border-color:#f97316}
figure.winner{border-color:#16a34a;box-shadow:0 0 0 3px #16a34a}
figure.winner.reroll{outline:3px solid #f97316;outline-offset:3px}
figure img{width:100%;display:block}
figure .missing{height:100px;background:#7f1d1d;display:flex;align-items:center;justify-content:center}
figcaption{font-size:12px}
.badge{font-weight:bold;color:#86efac}
.rr{font-weight:bold;color:#fdba74}
.bar{height:6px;background:#3f3f46}
.bar i{display:block;height:6px;background:#3b82f6}
.winner .bar i{background:#16a34a}
.reroll .bar i{background:#f97316}
`;

function usd(micros: number): string {
  return e(formatUsd(micros));
}

function score(value: number | undefined): string {
  return value === undefined ? 'no score' : value.toFixed(3);
}

function headerHtml(page: ContactSheetPage): string {
  const { cost, counts } = page;
  const t = cost.totals;
  const models = Object.entries(t.byModel)
    .map(
      ([model, m]) =>
        `<tr><td>${e(model)}</td><td class="n">${m.calls}</td><td class="n">${m.gpuSeconds > 0 ? m.gpuSeconds.toFixed(3) : '—'}</td><td class="n">${usd(m.costMicros)}</td></tr>`
    )
    .join('');
  const counterfactuals = cost.counterfactuals
    .map((c) => {
      const saved = c.totalMicros - t.costMicros;
      const share = c.totalMicros > 0 ? ` (${((100 * Math.abs(saved)) / c.totalMicros).toFixed(1)}%)` : '';
      const vs = saved >= 0 ? `this batch saved ${usd(saved)}${share}` : `this batch cost ${usd(-saved)} more${share}`;
      return `<tr><td>${e(c.label)}</td><td class="n">${usd(c.totalMicros)}</td><td class="n">${usd(c.perThumbnailMicros)}</td><td>${vs}</td></tr>`;
    })
    .join('');
  const mismatch =
    page.ledgerCostMicros === t.costMicros
      ? ''
      : `<p class="warn">ledger.csv sums to ${usd(page.ledgerCostMicros)}, but the batch total is ${usd(t.costMicros)}: some thumbnail results are missing from the store.</p>`;
  const capped = page.imageError
    ? `<p class="warn">${e(page.imageError)}</p>`
    : page.imageRows < counts.thumbnails
      ? `<p class="muted">${e(CONTACT_SHEET_JPG)} shows the first ${page.imageRows} of ${counts.thumbnails} thumbnails; this page lists all of them.</p>`
      : '';
  return `${page.randomWeights ? `<div class="notice" role="alert">⚠ ${e(RANDOM_WEIGHTS_HTML_NOTICE)}</div>` : ''}
<header>
<h1>Batch ${e(page.batchId)}</h1>
<p class="muted">workflow ${e(page.workflowId)} · files: <a href="${RESULTS_FILE}">${RESULTS_FILE}</a> · <a href="${LEDGER_FILE}">${LEDGER_FILE}</a> · <a href="${SUMMARY_FILE}">${SUMMARY_FILE}</a>${page.imageError ? '' : ` · <a href="${CONTACT_SHEET_JPG}">${CONTACT_SHEET_JPG}</a>`}</p>
<table>
<tr><th>thumbnails</th><th>succeeded</th><th>failed</th><th>re-rolled</th><th>re-roll wins</th></tr>
<tr><td class="n">${counts.thumbnails}</td><td class="n">${counts.succeeded}</td><td class="n">${counts.failed}</td><td class="n">${counts.rerolled}</td><td class="n">${counts.rerollWins}</td></tr>
</table>
<table>
<tr><th>total spend</th><td class="n">${usd(t.costMicros)}</td><th>billed calls</th><td class="n">${t.calls}</td></tr>
<tr><th>drafts</th><td class="n">${usd(t.byPhase.draft.costMicros)}</td><th>draft calls</th><td class="n">${t.byPhase.draft.calls}</td></tr>
<tr><th>re-rolls</th><td class="n">${usd(t.byPhase.reroll.costMicros)}</td><th>re-roll calls</th><td class="n">${t.byPhase.reroll.calls}</td></tr>
<tr><th>billed but unusable</th><td class="n">${usd(t.unusableCostMicros)}</td><th>unusable calls</th><td class="n">${t.unusableCalls}</td></tr>
<tr><th>cost per usable thumbnail</th><td class="n">${usd(cost.costPerUsableMicros)}</td><th>usable thumbnails</th><td class="n">${cost.usableThumbnails}</td></tr>
</table>
<table><tr><th>model</th><th>calls</th><th>GPU-seconds</th><th>cost</th></tr>${models}</table>
<table><tr><th>counterfactual</th><th>total</th><th>per thumbnail</th><th>this batch (${usd(t.costMicros)}) against it</th></tr>${counterfactuals}</table>
${mismatch}${capped}
<p class="legend"><span style="border-color:#16a34a">winner</span><span style="border-color:#f97316">re-roll candidate</span></p>
</header>`;
}

function candidateHtml(outcome: ThumbnailOutcome, i: number, previews: ReadonlyMap<string, boolean>): string {
  const view = outcome.candidates[i]!;
  const c = view.candidate;
  const isWinner = isSameCandidate(outcome.winner, view);
  const classes = [view.phase, ...(isWinner ? ['winner'] : [])].join(' ');
  const components = scoreComponents(c.scoreDetail);
  const all = Object.entries(components)
    .map(([k, v]) => `${k}=${v.toFixed(4)}`)
    .join(' ');
  const headline = c.scoreDetail ? e(describeComponents(c.scoreDetail)) : 'no score detail';
  const src = previewPath(c.image.sha256);
  const href = isWinner ? winnerFileName(outcome.brief.id) : src;
  const picture = previews.get(c.image.sha256)
    ? `<a href="${e(href)}"><img src="${e(src)}" alt="${e(`${outcome.brief.id} ${view.phase} ${c.candidateIndex}`)}" loading="lazy"></a>`
    : '<div class="missing">image missing</div>';
  const width = Math.round(Math.max(0, Math.min(1, c.score ?? 0)) * 100);
  return `<figure class="${classes}" title="${e(all)}">${picture}<div class="bar"><i style="width:${width}%"></i></div>
<figcaption>${isWinner ? '<span class="badge">★ winner</span> ' : ''}${view.phase === 'reroll' ? '<span class="rr">re-roll</span>' : 'draft'} #${c.candidateIndex} · <b>${score(c.score)}</b><br>
<span class="muted">${headline}<br>${e(c.model)} · seed ${c.seed} · ${usd(c.billed.costMicros)}${c.reused ? ' · reused' : ''}</span></figcaption></figure>`;
}

function metadataHtml(outcome: ThumbnailOutcome): string {
  const entries = Object.entries(outcome.brief.metadata ?? {});
  if (entries.length === 0) return '';
  return `<p class="meta">${entries.map(([k, v]) => `${e(k)}: ${e(JSON.stringify(v))}`).join(' · ')}</p>`;
}

export function rowHtml(outcome: ThumbnailOutcome, previews: ReadonlyMap<string, boolean>): string {
  const { brief, decision, cost } = outcome;
  const status =
    outcome.status === 'ok'
      ? `<p>winner: <a href="${e(winnerFileName(brief.id))}">${e(winnerFileName(brief.id))}</a> (${outcome.winner!.phase} #${outcome.winner!.candidate.candidateIndex}, ${score(outcome.winner!.candidate.score)})</p>`
      : `<p class="status-failed">failed: ${e(outcome.reason ?? 'unknown reason')}</p>`;
  const whyLine = outcome.why ? `<p class="why">why: ${e(outcome.why)}</p>` : '';
  const rerollLine = decision
    ? `<p>re-rolled: <b>${e(decision.winner)}</b> kept — ${e(decision.reason)}${outcome.decisionNote ? ` <span class="warn">(${e(outcome.decisionNote)})</span>` : ''}</p>`
    : '';
  const failures = outcome.failures.length
    ? `<p class="warn">${outcome.failures.map((f) => `${e(f.phase)} #${f.candidateIndex}: ${e(f.type)} after ${f.attempts} attempt(s) — ${e(f.message)}`).join('<br>')}</p>`
    : '';
  const costLine = `<p>cost ${usd(cost.costMicros)} (${cost.calls} call${cost.calls === 1 ? '' : 's'}${
    cost.byPhase.reroll.calls > 0 ? `; re-roll ${usd(cost.byPhase.reroll.costMicros)}` : ''
  })</p>`;
  const cands = outcome.candidates.map((_, i) => candidateHtml(outcome, i, previews)).join('\n');
  return `<section class="row ${outcome.status}" id="t-${e(brief.id)}">
<div class="label"><h2>${e(brief.id)}</h2><p class="prompt">${e(brief.prompt)}</p>${metadataHtml(outcome)}<p class="muted">${brief.width}×${brief.height}</p>
${status}${whyLine}${rerollLine}${costLine}${failures}</div>
<div class="cands">${cands}</div>
</section>`;
}

export function pageHtml(page: ContactSheetPage, rows: readonly string[]): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>thumbgate — ${e(page.batchId)}</title>
<style>${STYLE}</style>
</head>
<body>
${headerHtml(page)}
<main>
${rows.join('\n')}
</main>
</body>
</html>
`;
}
