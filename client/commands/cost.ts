import { parseArgs } from 'node:util';
import { costQuery, type BatchCost } from '../../shared/batch-workflow.js';
import { formatUsd } from '../../shared/price-card.js';
import { connectTemporal } from '../connection.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { formatCost } from '../format-cost.js';
import { table, type Output } from '../output.js';
import { findBatch } from './batch-handle.js';

export const costUsage = 'thumbgate cost BATCH_ID [--json]';

/** The ledger of a running batch (queried live) or of a finished one (from its result). */
export async function cost(argv: string[], out: Output): Promise<ExitCode> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const temporal = await connectTemporal();
  try {
    const { handle, description } = await findBatch(temporal, positionals[0], costUsage);
    const running = description.status.name === 'RUNNING';
    const view: BatchCost = running ? await handle.query(costQuery) : (await handle.result()).cost;
    out.result(view, () => {
      const recent = view.recentThumbnails.slice(-20);
      return [
        `batch ${handle.workflowId} (${running ? 'running, live ledger' : description.status.name.toLowerCase()})`,
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
    return EXIT.ok;
  } finally {
    await temporal.close();
  }
}
