/**
 * ledger.csv: one row per billed call, RFC 4180 quoting, USD with six decimals (exact micro-dollars).
 *
 * Text columns (thumbnail_id, phase, model, pricing_mode, cost_basis, request_id, outcome) are guarded
 * against formula injection (OWASP "CSV injection"): a cell starting with `=`, `+`, `-`, `@`, a tab or a
 * CR is prefixed with `'`, so a spreadsheet shows it as text instead of running it — request ids come
 * from the provider. Numeric columns (candidate_index, attempt, gpu_seconds, cost_usd,
 * credits_remaining_usd) are written as numbers and never prefixed.
 */
import type { LedgerEntry } from '../../shared/generation.js';
import { microsToUsdExact } from '../../shared/money.js';

export const LEDGER_CSV_HEADER = [
  'thumbnail_id',
  'phase',
  'candidate_index',
  'attempt',
  'model',
  'pricing_mode',
  'gpu_seconds',
  'cost_usd',
  'cost_basis',
  'credits_remaining_usd',
  'request_id',
  'outcome',
] as const;

export function csvField(value: string | number | undefined): string {
  const text = value === undefined ? '' : String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A text cell a spreadsheet would read as a formula, prefixed with `'` so it stays text. */
export function csvText(value: string | undefined): string | undefined {
  return value !== undefined && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

export function csvLine(fields: (string | number | undefined)[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

export function ledgerCsvHeader(): string {
  return csvLine([...LEDGER_CSV_HEADER]);
}

export function ledgerCsvRow(entry: LedgerEntry): string {
  return csvLine([
    csvText(entry.thumbnailId),
    csvText(entry.phase),
    entry.candidateIndex,
    entry.attempt,
    csvText(entry.model),
    csvText(entry.pricingMode),
    // Twelve significant digits drop float noise (1.1300000000000001) and keep any real precision.
    entry.gpuSeconds === undefined ? undefined : Number(entry.gpuSeconds.toPrecision(12)),
    microsToUsdExact(entry.costMicros),
    csvText(entry.basis),
    entry.creditsRemainingMicros === undefined ? undefined : microsToUsdExact(entry.creditsRemainingMicros),
    csvText(entry.requestId),
    csvText(entry.outcome),
  ]);
}
