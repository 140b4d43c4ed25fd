import { parseArgs } from 'node:util';
import { connectTemporal } from '../connection.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { Output } from '../output.js';
import { findBatch } from './batch-handle.js';

export const cancelUsage = 'thumbgate cancel BATCH_ID [--json]';

/** Requests cancellation: in-flight provider calls are aborted and nothing new is started. */
export async function cancel(argv: string[], out: Output): Promise<ExitCode> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const temporal = await connectTemporal();
  try {
    const { handle, description } = await findBatch(temporal, positionals[0], cancelUsage);
    if (description.status.name !== 'RUNNING') {
      out.result(
        { batchId: handle.workflowId, cancelled: false, status: description.status.name },
        () => `batch ${handle.workflowId} is not running (${description.status.name.toLowerCase()}); nothing to cancel`
      );
      return EXIT.ok;
    }
    await handle.cancel();
    out.result(
      { batchId: handle.workflowId, cancelled: true },
      () => `cancellation requested for batch ${handle.workflowId}`
    );
    return EXIT.ok;
  } finally {
    await temporal.close();
  }
}
