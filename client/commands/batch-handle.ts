import { WorkflowNotFoundError, type WorkflowExecutionDescription } from '@temporalio/client';
import type { BatchHandle } from '../batch-client.js';
import type { Connected } from '../connection.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { batchWorkflow } from '../../workflows/batch.js';

/** The batch's handle and description; a batch that does not exist is exit code 4. */
export async function findBatch(
  temporal: Connected,
  batchId: string
): Promise<{ handle: BatchHandle; description: WorkflowExecutionDescription }> {
  const handle = temporal.client.workflow.getHandle<typeof batchWorkflow>(batchId);
  try {
    return { handle, description: await handle.describe() };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new CliError(
        EXIT.notFound,
        `no batch ${batchId} in namespace ${temporal.namespace} (try \`thumbgate list\`)`
      );
    }
    throw err;
  }
}
