/**
 * Exact decimal USD from integer micro-dollars. Done with integers rather than `toFixed` on a float,
 * so a column of these strings sums back to the same micro-dollars, digit for digit.
 */
export function microsToUsdFixed(micros: number): string {
  if (!Number.isSafeInteger(micros)) throw new RangeError(`micro-dollars must be a safe integer, got ${micros}`);
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  return `${sign}${Math.floor(abs / 1_000_000)}.${String(abs % 1_000_000).padStart(6, '0')}`;
}

/** Inverse of {@link microsToUsdFixed}, for readers that want to check a sum exactly. */
export function usdFixedToMicros(text: string): number {
  const match = /^(-?)(\d+)\.(\d{6})$/.exec(text);
  if (!match) throw new RangeError(`not a 6-decimal USD amount: ${JSON.stringify(text)}`);
  const micros = Number(match[2]) * 1_000_000 + Number(match[3]);
  return match[1] === '-' ? -micros : micros;
}
