/**
 * Levenshtein distance between two strings, by code point (so an emoji or an astral letter is one
 * edit). Pure and sandbox-safe; the one implementation behind the text-fidelity score
 * (activities/scoring/text-fidelity.ts) and the manifest's "did you mean" (node/manifest/fields.ts).
 */
export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  if (!x.length) return y.length;
  if (!y.length) return x.length;
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      const sub = (prev[j - 1] as number) + (x[i - 1] === y[j - 1] ? 0 : 1);
      row.push(Math.min(sub, (prev[j] as number) + 1, (row[j - 1] as number) + 1));
    }
    prev = row;
  }
  return prev[y.length] as number;
}

/**
 * The known name closest to `typed`, if it is close: up to 2 edits for a word of 4 or more characters,
 * else 1 (two catch swaps like "widht"; short words get one, or "w" would suggest "id"). Ties go to the
 * first listed. The one rule behind every "did you mean" (manifest fields, CLI commands and options).
 */
export function nearestName(typed: string, known: readonly string[]): string | undefined {
  const limit = [...typed].length >= 4 ? 2 : 1;
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(typed, name);
    if (distance <= limit && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}
