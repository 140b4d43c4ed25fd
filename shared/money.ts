/**
 * Money. Contracts, carried state and ledgers hold integer micro-dollars (1 USD = 1,000,000), so sums
 * over thousands of calls are exact; dollars appear only at the edges (CLI flags and tables, the contact
 * sheet, the completion callback's documented `…Usd` fields), converted here and nowhere else.
 * Pure and sandbox-safe.
 */

export const MICROS_PER_USD = 1_000_000;

export function microsToUsd(micros: number): number {
  return micros / MICROS_PER_USD;
}

export function usdToMicros(usd: number): number {
  return Math.round(usd * MICROS_PER_USD);
}

/**
 * Exact 6-decimal USD (`0.007920`) from integer micro-dollars, with integer arithmetic, so a column
 * of these strings (a ledger, the `x-cost` header) sums and parses back to the same micro-dollars.
 */
export function microsToUsdExact(micros: number): string {
  if (!Number.isSafeInteger(micros)) throw new RangeError(`micro-dollars must be a safe integer, got ${micros}`);
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  return `${sign}${Math.floor(abs / 1_000_000)}.${String(abs % 1_000_000).padStart(6, '0')}`;
}

/** Inverse of {@link microsToUsdExact}. */
export function usdExactToMicros(text: string): number {
  const match = /^(-?)(\d+)\.(\d{6})$/.exec(text);
  if (!match) throw new RangeError(`not a 6-decimal USD amount: ${JSON.stringify(text)}`);
  const micros = Number(match[2]) * 1_000_000 + Number(match[3]);
  return match[1] === '-' ? -micros : micros;
}

/** `$0.0079` style with enough digits for sub-cent prices. */
export function formatUsd(micros: number, digits = 4): string {
  return `$${microsToUsd(micros).toFixed(digits)}`;
}
