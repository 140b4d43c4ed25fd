/** ledger.csv: one row per billed call, RFC 4180 quoting, USD with six decimals (exact micro-dollars). */
import type { LedgerEntry } from '../../shared/generation.js';
import { microsToUsdExact } from '../../shared/price-card.js';

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

export function csvLine(fields: (string | number | undefined)[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

export function ledgerCsvHeader(): string {
  return csvLine([...LEDGER_CSV_HEADER]);
}

export function ledgerCsvRow(entry: LedgerEntry): string {
  return csvLine([
    entry.thumbnailId,
    entry.phase,
    entry.candidateIndex,
    entry.attempt,
    entry.model,
    entry.pricingMode,
    // Twelve significant digits drop float noise (1.1300000000000001) and keep any real precision.
    entry.gpuSeconds === undefined ? undefined : Number(entry.gpuSeconds.toPrecision(12)),
    microsToUsdExact(entry.costMicros),
    entry.basis,
    entry.creditsRemainingMicros === undefined ? undefined : microsToUsdExact(entry.creditsRemainingMicros),
    entry.requestId,
    entry.outcome,
  ]);
}
