/** The fields a manifest brief may have, and a "did you mean" for the ones it may not. */
import { nearestName } from '../../shared/edit-distance.js';
import { refusedCharacterMessage } from './characters.js';

export const BRIEF_FIELDS = ['id', 'prompt', 'size', 'width', 'height', 'aspect_ratio', 'metadata'] as const;
export type BriefField = (typeof BRIEF_FIELDS)[number];

/** CSV has no nested objects: metadata comes from columns named `meta.<key>`. */
export const CSV_META_PREFIX = 'meta.';

/** Metadata travels with every brief through workflow state and results: at most this many bytes as JSON. */
export const MAX_METADATA_BYTES = 2048;

/** Keys that name JavaScript object internals: refused rather than silently dropped or turned into a prototype. */
const RESERVED_METADATA_KEYS = ['__proto__', 'constructor', 'prototype'];

/** Why `key` cannot be a metadata key, or `undefined`. */
export function metadataKeyProblem(key: string): string | undefined {
  if (key.trim() === '') return 'metadata keys must not be empty';
  if (RESERVED_METADATA_KEYS.includes(key)) {
    return `metadata key "${key}" is not accepted (${RESERVED_METADATA_KEYS.join(', ')} are reserved) — rename it, e.g. "${key.replace(/_/g, '')}_"`;
  }
  return refusedCharacterMessage(key, 'metadata key', false);
}

export function isBriefField(name: string): name is BriefField {
  return (BRIEF_FIELDS as readonly string[]).includes(name);
}

/** `unknown field — did you mean "prompt"? Accepted: ...` for a name that is not a brief field. */
export function unknownFieldMessage(name: string, format: 'json' | 'csv'): string {
  const accepted: string[] = BRIEF_FIELDS.filter((f) => format === 'json' || f !== 'metadata');
  if (format === 'csv') accepted.push(`${CSV_META_PREFIX}<key>`);
  const lower = name.toLowerCase().replace(/[-\s]/g, '_');
  const aliases: Record<string, string> = { aspectratio: 'aspect_ratio', ratio: 'aspect_ratio', meta: 'metadata' };
  const guess =
    aliases[lower.replace(/_/g, '')] ??
    accepted.find((f) => f === lower) ??
    nearestName(
      lower,
      accepted.filter((f) => !f.includes('<'))
    );
  const hint = guess !== undefined && guess !== name ? ` — did you mean "${guess}"?` : '.';
  const metaHint = format === 'json' ? '; put any other values inside "metadata"' : '';
  return `unknown field${hint} Accepted fields: ${accepted.join(', ')}${metaHint}`;
}
