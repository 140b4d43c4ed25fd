/**
 * A score's named components, flattened to `name: number` (e.g. `alignment.cosine`). The detail's
 * shape belongs to the scoring module and may grow; printing every numeric field it has means the
 * outputs never silently drop one.
 */
export type ScoreComponents = Record<string, number>;

/** Fields of the detail that are bookkeeping, not measurements. */
const NOT_COMPONENTS = new Set(['index']);

export function scoreComponents(detail: unknown): ScoreComponents {
  const out: ScoreComponents = {};
  const walk = (value: unknown, prefix: string): void => {
    if (typeof value === 'number') {
      if (Number.isFinite(value)) out[prefix] = value;
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
    for (const [key, child] of Object.entries(value)) {
      if (prefix === '' && NOT_COMPONENTS.has(key)) continue;
      walk(child, prefix === '' ? key : `${prefix}.${key}`);
    }
  };
  walk(detail, '');
  return out;
}
