import { parseArgs } from 'node:util';
import { waitForBatch } from '../batch-client.js';
import { connectTemporal } from '../connection.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { formatResult } from '../format-cost.js';
import type { Output } from '../output.js';
import { findBatch } from './batch-handle.js';

export const resultUsage = 'thumbgate result BATCH_ID [--wait] [--json]';

export async function result(argv: string[], out: Output): Promise<ExitCode> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, wait: { type: 'boolean', default: false } },
  });
  const temporal = await connectTemporal();
  try {
    const { handle, description } = await findBatch(temporal, positionals[0], resultUsage);
    if (description.status.name === 'RUNNING' && !values.wait) {
      throw new CliError(EXIT.stillRunning, `batch ${handle.workflowId} is still running (add --wait to wait for it)`);
    }
    const res = await waitForBatch(handle, values.wait && !out.json ? process.stderr : null);
    out.result(res, () => formatResult(res));
    return EXIT.ok;
  } finally {
    await temporal.close();
  }
}
