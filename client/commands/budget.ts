import { WorkflowUpdateFailedError } from '@temporalio/client';
import { setBudgetUpdate, type BudgetAnswer } from '../../shared/batch-workflow.js';
import { command, jsonFlag, type FlagValues, type Flags } from '../command-spec.js';
import { withTemporal } from '../connection.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { rootCause } from '../failure-cause.js';
import type { Output } from '../output.js';
import { usdAmount } from '../run-flags.js';
import { formatUsd, usdToMicros } from '../../shared/money.js';
import { findBatch } from './batch-handle.js';

const flags = {
  'max-usd': { type: 'string', arg: 'USD', description: 'the new limit in US dollars', required: true },
  ...jsonFlag,
} as const satisfies Flags;

export const budgetCommand = command({
  name: 'budget',
  args: ['BATCH_ID'],
  summary:
    "Raises or lowers a running batch's spending limit (the setBudget update); refused below what is already " +
    'committed; answers with the headroom.',
  flags,
  run: budget,
});

/** Sets a running batch's limit through the `setBudget` update; the batch answers with its headroom. */
async function budget(
  { positionals, values }: { positionals: string[]; values: FlagValues<typeof flags> },
  out: Output
): Promise<ExitCode> {
  const maxMicros = usdToMicros(usdAmount('--max-usd', values['max-usd']));
  return withTemporal(async (temporal) => {
    const { handle, description } = await findBatch(temporal, positionals[0]!);
    if (description.status.name !== 'RUNNING') {
      throw new CliError(
        EXIT.invalidInput,
        `batch ${handle.workflowId} is ${description.status.name.toLowerCase()}: a limit applies only while it runs`
      );
    }
    let answer: BudgetAnswer;
    try {
      answer = await handle.executeUpdate(setBudgetUpdate, { args: [{ maxMicros }] });
    } catch (err) {
      // The batch's validator refused it (below what is committed, or the batch is ending): nothing changed.
      if (err instanceof WorkflowUpdateFailedError) {
        throw new CliError(EXIT.invalidInput, `batch ${handle.workflowId} kept its limit: ${rootCause(err).message}`);
      }
      throw err;
    }
    out.result(
      { batchId: handle.workflowId, ...answer },
      () =>
        `batch ${handle.workflowId}: limit ${formatUsd(answer.maxMicros, 2)}; spent ${formatUsd(answer.spentMicros, 2)}, ` +
        `${formatUsd(answer.inFlightMicros, 2)} under way; headroom ${formatUsd(answer.headroomMicros, 2)}`
    );
    return EXIT.ok;
  });
}
