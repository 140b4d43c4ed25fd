import { parseArgs } from 'node:util';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { setBudgetUpdate, type BudgetAnswer } from '../../shared/batch-workflow.js';
import { connectTemporal } from '../connection.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { rootCause } from '../failure-cause.js';
import type { Output } from '../output.js';
import { usdAmount } from '../run-flags.js';
import { findBatch } from './batch-handle.js';

export const budgetUsage =
  "thumbgate budget BATCH_ID --max-usd USD [--json]   (raise or lower a running batch's limit)";

const usd = (n: number): string => `$${n.toFixed(2)}`;

/** Sets a running batch's limit through the `setBudget` update; the batch answers with its headroom. */
export async function budget(argv: string[], out: Output): Promise<ExitCode> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'max-usd': { type: 'string' }, json: { type: 'boolean' } },
  });
  if (values['max-usd'] === undefined)
    throw new CliError(EXIT.invalidInput, `--max-usd USD is required\nusage: ${budgetUsage}`);
  const maxUsd = usdAmount('--max-usd', values['max-usd']);
  const temporal = await connectTemporal();
  try {
    const { handle, description } = await findBatch(temporal, positionals[0], budgetUsage);
    if (description.status.name !== 'RUNNING') {
      throw new CliError(
        EXIT.invalidInput,
        `batch ${handle.workflowId} is ${description.status.name.toLowerCase()}: a limit applies only while it runs`
      );
    }
    let answer: BudgetAnswer;
    try {
      answer = await handle.executeUpdate(setBudgetUpdate, { args: [{ maxUsd }] });
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
        `batch ${handle.workflowId}: limit ${usd(answer.maxUsd)}; spent ${usd(answer.spentUsd)}, ` +
        `${usd(answer.inFlightUsd)} under way; headroom ${usd(answer.headroomUsd)}`
    );
    return EXIT.ok;
  } finally {
    await temporal.close();
  }
}
