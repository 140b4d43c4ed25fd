/**
 * USD strings for the accounting headers. Formatted from integer micro-dollars with integer
 * arithmetic so `x-cost` parses back (usdToMicros) to exactly what the ledger charged.
 */
export function microsToUsdString(micros: number): string {
  if (!Number.isSafeInteger(micros)) throw new RangeError(`micro-dollars must be an integer, got ${micros}`);
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  return `${sign}${Math.floor(abs / 1_000_000)}.${String(abs % 1_000_000).padStart(6, '0')}`;
}

/** `$1.234567` for error messages. */
export function usdLabel(micros: number): string {
  return `$${microsToUsdString(micros)}`;
}
