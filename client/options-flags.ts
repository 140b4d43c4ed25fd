import {
  CANDIDATES_RANGE,
  DEFAULT_BATCH_OPTIONS as D,
  MAX_IN_FLIGHT_RANGE,
  resolveBatchOptions,
  validateBatchOptions,
  type BatchOptions,
} from '../shared/batch-options.js';
import { FLUX_MODELS, type FluxModel } from '../shared/price-card.js';
import { invalidParameter } from '../shared/validation.js';
import type { Flags } from './command-spec.js';
import { CliError, EXIT } from './exit-codes.js';

const models = FLUX_MODELS.join(', ');

/** Flags shared by `start`, `estimate` and `schedule create` that set batch options (defaults: the seed's). */
export const batchOptionFlags = {
  candidates: {
    type: 'string',
    arg: 'N',
    description: `drafts per brief, ${CANDIDATES_RANGE.min}-${CANDIDATES_RANGE.max}; the best CLIP score is kept (default ${D.candidates})`,
  },
  'draft-model': { type: 'string', arg: 'M', description: `model for drafts: ${models} (default ${D.draftModel})` },
  'draft-steps': { type: 'string', arg: 'N', description: `inference steps of a draft (default ${D.draftSteps})` },
  'reroll-model': { type: 'string', arg: 'M', description: `model for re-rolls (default ${D.rerollModel})` },
  'reroll-fraction': {
    type: 'string',
    arg: 'F',
    description: `share of the batch, lowest scores first, re-rolled, 0-1 (default ${D.rerollFraction})`,
  },
  'max-in-flight': {
    type: 'string',
    arg: 'N',
    description: `thumbnails in flight at once, ${MAX_IN_FLIGHT_RANGE.min}-${MAX_IN_FLIGHT_RANGE.max} (default ${D.maxInFlight})`,
  },
  size: {
    type: 'string',
    arg: 'WxH',
    description: `size of briefs that give none (default ${D.size.width}x${D.size.height})`,
  },
  'max-consecutive-unusable': {
    type: 'string',
    arg: 'N',
    description: `stop after this many paid-but-unusable calls in a row (default ${D.maxConsecutiveUnusable})`,
  },
  'max-unusable-share': {
    type: 'string',
    arg: 'F',
    description: `stop once unusable spend passes this share of spend (default ${D.maxUnusableShare})`,
  },
} as const satisfies Flags;

type Values = Partial<Record<keyof typeof batchOptionFlags, string>>;

function number(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) {
    throw new CliError(EXIT.invalidInput, invalidParameter(`--${flag}`, 'a number', raw));
  }
  return n;
}

/** Batch options from flags, defaults filled, validated; problems name the flag. */
export function batchOptionsFromFlags(values: Values): BatchOptions {
  let size: BatchOptions['size'] | undefined;
  if (values.size !== undefined) {
    const m = /^(\d+)x(\d+)$/.exec(values.size.trim());
    if (!m) throw new CliError(EXIT.invalidInput, `--size must look like 1280x720, got ${JSON.stringify(values.size)}`);
    size = { width: Number(m[1]), height: Number(m[2]) };
  }
  const options = resolveBatchOptions({
    candidates: number('candidates', values.candidates),
    draftModel: values['draft-model'] as FluxModel | undefined,
    draftSteps: number('draft-steps', values['draft-steps']),
    rerollModel: values['reroll-model'] as FluxModel | undefined,
    rerollFraction: number('reroll-fraction', values['reroll-fraction']),
    maxInFlight: number('max-in-flight', values['max-in-flight']),
    size,
    maxConsecutiveUnusable: number('max-consecutive-unusable', values['max-consecutive-unusable']),
    maxUnusableShare: number('max-unusable-share', values['max-unusable-share']),
  });
  const problems = validateBatchOptions(options);
  if (problems.length > 0) {
    const flag = (field: string): string => `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw new CliError(
      EXIT.invalidInput,
      `invalid options:\n${problems.map((p) => `  ${flag(String(p.field))}: ${p.message}`).join('\n')}`
    );
  }
  return options;
}
