import { parseArgs } from 'node:util';
import {
  EstimateInputError,
  estimateCost,
  estimateToJson,
  formatEstimateTable,
  SEED_MCN_VOLUME,
  type Volume,
} from '../estimate.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { batchOptionsFromFlags, batchOptionFlags } from '../options-flags.js';
import type { Output } from '../output.js';

export const estimateUsage = 'thumbgate estimate [--per-month N | --per-day N] [batch option flags] [--json]';

/** Price-card arithmetic; needs no server. */
export async function estimate(argv: string[], out: Output): Promise<ExitCode> {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean' },
      'per-month': { type: 'string' },
      'per-day': { type: 'string' },
      ...batchOptionFlags,
    },
  });
  if (values['per-month'] !== undefined && values['per-day'] !== undefined) {
    throw new CliError(EXIT.invalidInput, 'give either --per-month or --per-day, not both');
  }
  const volume: Volume =
    values['per-month'] !== undefined
      ? { perMonth: Number(values['per-month']) }
      : values['per-day'] !== undefined
        ? { perDay: Number(values['per-day']) }
        : SEED_MCN_VOLUME;
  try {
    const result = estimateCost(volume, batchOptionsFromFlags(values));
    out.result(estimateToJson(result), () => formatEstimateTable(result));
  } catch (err) {
    if (err instanceof EstimateInputError)
      throw new CliError(EXIT.invalidInput, `--${err.field === 'perDay' ? 'per-day' : 'per-month'}: ${err.message}`);
    throw err;
  }
  return Promise.resolve(EXIT.ok);
}
