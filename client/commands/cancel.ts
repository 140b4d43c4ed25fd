import { command, jsonFlag } from '../command-spec.js';
import { withTemporal } from '../connection.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { Output } from '../output.js';
import { findBatch } from './batch-handle.js';

export const cancelCommand = command({
  name: 'cancel',
  args: ['BATCH_ID'],
  summary: 'Cancels a running batch: in-flight provider calls are aborted and nothing new is started.',
  flags: jsonFlag,
  run: cancel,
});

async function cancel({ positionals }: { positionals: string[] }, out: Output): Promise<ExitCode> {
  return withTemporal(async (temporal) => {
    const { handle, description } = await findBatch(temporal, positionals[0]!);
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
  });
}
