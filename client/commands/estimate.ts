import {
  EstimateInputError,
  estimateCost,
  estimateToJson,
  formatEstimateTable,
  SEED_MCN_VOLUME,
  type Volume,
} from '../estimate.js';
import { command, jsonFlag, type FlagValues, type Flags } from '../command-spec.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { batchOptionsFromFlags, batchOptionFlags } from '../options-flags.js';
import type { Output } from '../output.js';

const flags = {
  'per-month': { type: 'string', arg: 'N', description: 'thumbnails a month (default: the seed MCN volume)' },
  'per-day': { type: 'string', arg: 'N', description: 'thumbnails a day, instead of --per-month' },
  ...jsonFlag,
  ...batchOptionFlags,
} as const satisfies Flags;

export const estimateCommand = command({
  name: 'estimate',
  summary:
    'Price-card arithmetic for every Flux model and the gate at a volume; needs no server. The batch options ' +
    'set the gate the estimate prices.',
  flags,
  run: estimate,
});

/** Price-card arithmetic; needs no server. */
async function estimate({ values }: { values: FlagValues<typeof flags> }, out: Output): Promise<ExitCode> {
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
