import { parseArgs } from 'node:util';
import { waitForBatch } from '../batch-client.js';
import { connectTemporal } from '../connection.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { explainThumbnail, formatExplanation, type ThumbnailExplanation } from '../explain.js';
import { formatResult } from '../format-cost.js';
import type { Output } from '../output.js';
import { findBatch } from './batch-handle.js';

export const resultUsage =
  'thumbgate result BATCH_ID [--wait] [--json]\n' +
  "thumbgate result BATCH_ID --thumbnail ID [--thumbnail ID …] [--json]   (each candidate's score components and why the winner won)";

/** `--thumbnail`'s output: the explanations as JSON, or a table and a "why" each. */
export function printExplanations(out: Output, explained: ThumbnailExplanation[]): void {
  out.result(explained, () => explained.map(formatExplanation).join('\n\n'));
}

export async function result(argv: string[], out: Output): Promise<ExitCode> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      wait: { type: 'boolean', default: false },
      thumbnail: { type: 'string', multiple: true },
    },
  });
  const temporal = await connectTemporal();
  try {
    const { handle, description } = await findBatch(temporal, positionals[0], resultUsage);
    if (values.thumbnail) {
      // A thumbnail's explanation is ready as soon as its own workflows finish, batch running or not.
      const explained: ThumbnailExplanation[] = [];
      for (const id of values.thumbnail) explained.push(await explainThumbnail(temporal, handle.workflowId, id));
      printExplanations(out, explained);
      return EXIT.ok;
    }
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
