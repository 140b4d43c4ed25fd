import type { WorkflowExecutionStatusName } from '@temporalio/client';
import { costQuery, type BatchCost } from '../../shared/batch-workflow.js';
import { formatUsd } from '../../shared/money.js';
import { command, jsonFlag } from '../command-spec.js';
import { withTemporal } from '../connection.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { formatCost } from '../format-cost.js';
import { table, type Output } from '../output.js';
import type { BatchHandle } from '../batch-client.js';
import { findBatch } from './batch-handle.js';

export const costCommand = command({
  name: 'cost',
  args: ['BATCH_ID'],
  summary:
    'The ledger: spend by phase and model, cost per usable thumbnail, counterfactuals (live while running). ' +
    'Exit 1 for a failed, cancelled or terminated batch.',
  flags: jsonFlag,
  run: cost,
});

const CLOSED_QUERY_TIMEOUT_MS = 15_000;

/**
 * The ledger of a batch in any state, from the `cost` query: Temporal answers queries on closed runs
 * too (replaying the history on a worker), so a failed or cancelled batch shows what it spent.
 */
async function cost({ positionals }: { positionals: string[] }, out: Output): Promise<ExitCode> {
  return withTemporal(async (temporal) => {
    const { handle, description } = await findBatch(temporal, positionals[0]!);
    const status = description.status.name;
    const running = status === 'RUNNING';
    const view = await ledgerOf(handle, status);
    out.result(view, () => {
      const recent = view.recentThumbnails.slice(-20);
      return [
        `batch ${handle.workflowId} (${running ? 'running, live ledger' : status.toLowerCase()})`,
        '',
        formatCost(view),
        ...(recent.length
          ? [
              '',
              running ? 'most recently finished thumbnails:' : 'last thumbnails of the final run:',
              table([
                ['thumbnail', 'phase', 'calls', 'spend'],
                ...recent.map((r) => [r.id, r.phase, String(r.calls), formatUsd(r.costMicros)]),
              ]),
            ]
          : []),
      ].join('\n');
    });
    // Like `status`: the ledger is printed either way, the exit code says whether the batch failed.
    return running || status === 'COMPLETED' || status === 'CONTINUED_AS_NEW' ? EXIT.ok : EXIT.batchFailed;
  });
}

/**
 * Queries the ledger; a completed batch whose query cannot be answered (no worker polling its task
 * queue) falls back to the ledger in its result. Other closed batches need a worker to replay them.
 */
async function ledgerOf(handle: BatchHandle, status: WorkflowExecutionStatusName): Promise<BatchCost> {
  try {
    if (status === 'RUNNING') return await handle.query(costQuery);
    // A closed run is answered by a worker replaying it; without one the query would wait indefinitely.
    return await handle.client.connection.withDeadline(Date.now() + CLOSED_QUERY_TIMEOUT_MS, () =>
      handle.query(costQuery)
    );
  } catch (err) {
    if (status === 'COMPLETED') return (await handle.result()).cost;
    if (status === 'RUNNING') throw err;
    throw new CliError(
      EXIT.batchFailed,
      `cannot read the ledger of ${status.toLowerCase()} batch ${handle.workflowId}: ${(err as Error).message}. ` +
        `A closed batch's ledger is read by replaying it on a worker, so a worker for its task queue must be ` +
        'running (`npm run worker`)'
    );
  }
}
