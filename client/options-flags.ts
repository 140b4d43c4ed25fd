import type { ParseArgsConfig } from 'node:util';
import { resolveBatchOptions, validateBatchOptions, type BatchOptions } from '../shared/batch-options.js';
import type { FluxModel } from '../shared/price-card.js';
import { invalidParameter } from '../shared/validation.js';
import { CliError, EXIT } from './exit-codes.js';

/** Flags shared by `start` and `estimate` that set batch options. */
export const batchOptionFlags = {
  candidates: { type: 'string' },
  'draft-model': { type: 'string' },
  'draft-steps': { type: 'string' },
  'reroll-model': { type: 'string' },
  'reroll-fraction': { type: 'string' },
  'max-in-flight': { type: 'string' },
  size: { type: 'string' },
  'max-consecutive-unusable': { type: 'string' },
  'max-unusable-share': { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

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
