/**
 * Deterministic 32-bit seeds (FNV-1a): the same slot always gets the same seed, on every
 * replay and retry, so a retried candidate maps to the same stored record.
 */
export function seedFor(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  const text = parts.join('\u0000');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
