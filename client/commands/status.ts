import { parseArgs } from 'node:util';
import { progressQuery } from '../../shared/batch-workflow.js';
import { progressLine } from '../batch-client.js';
import { connectTemporal, uiLink } from '../connection.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { Output } from '../output.js';
import { findBatch } from './batch-handle.js';

export const statusUsage = 'thumbgate status BATCH_ID [--json]';

export async function status(argv: string[], out: Output): Promise<ExitCode> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const temporal = await connectTemporal();
  try {
    const { handle, description } = await findBatch(temporal, positionals[0], statusUsage);
    const state = description.status.name;
    const progress = state === 'RUNNING' ? await handle.query(progressQuery) : undefined;
    const link = uiLink(temporal.namespace, handle.workflowId);
    out.result({ batchId: handle.workflowId, status: state, progress, ui: link }, () =>
      [`batch ${handle.workflowId}: ${state.toLowerCase()}`, ...(progress ? [progressLine(progress)] : []), link].join(
        '\n'
      )
    );
    return state === 'RUNNING' || state === 'COMPLETED' || state === 'CONTINUED_AS_NEW' ? EXIT.ok : EXIT.batchFailed;
  } finally {
    await temporal.close();
  }
}
