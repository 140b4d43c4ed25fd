/** Briefs for end-to-end tests: varied subjects, the small size the tiny CLIP scores quickly. */
import type { MetadataValue, ThumbnailBrief } from '../../shared/thumbnail-brief.js';

const SUBJECTS = [
  'a gamer screaming at a glowing monitor',
  'a chef tossing flaming noodles',
  'a hiker on a cliff edge at sunrise',
  'a scientist holding a fizzing beaker',
  'a cat wearing tiny sunglasses',
];

export interface TestBriefOptions {
  /** Ids are `${prefix}-${n}` with `n` padded to `pad` digits (default 3) and `separator` (default `-`). */
  pad?: number;
  separator?: string;
  /** Appended to brief `i`'s prompt (e.g. a marker the emulator reacts to). */
  extra?: (i: number) => string;
  metadata?: (i: number) => Record<string, MetadataValue>;
}

export function testBriefs(n: number, prefix: string, options: TestBriefOptions = {}): ThumbnailBrief[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}${options.separator ?? '-'}${String(i + 1).padStart(options.pad ?? 3, '0')}`,
    prompt: `${SUBJECTS[i % SUBJECTS.length]}, bold colours, ${prefix} ${i + 1}${options.extra?.(i) ?? ''}`,
    width: 448,
    height: 256,
    ...(options.metadata ? { metadata: options.metadata(i) } : {}),
  }));
}
