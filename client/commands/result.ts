import { waitForBatch } from '../batch-client.js';
import { command, jsonFlag, type FlagValues, type Flags } from '../command-spec.js';
import { withTemporal } from '../connection.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { explainThumbnail, formatExplanation, type ThumbnailExplanation } from '../explain.js';
import { formatResult } from '../format-cost.js';
import type { Output } from '../output.js';
import { findBatch } from './batch-handle.js';

const flags = {
  wait: { type: 'boolean', description: 'wait for a running batch to end (with progress)' },
  thumbnail: {
    type: 'string',
    arg: 'ID',
    multiple: true,
    description: "instead: each candidate's score components and why the winner won",
  },
  ...jsonFlag,
} as const satisfies Flags;

export const resultCommand = command({
  name: 'result',
  args: ['BATCH_ID'],
  summary: 'Winners, failures, re-roll decisions and the cost table. Exit 5 while the batch still runs.',
  flags,
  run: result,
});

/** `--thumbnail`'s output: the explanations as JSON, or a table and a "why" each. */
export function printExplanations(out: Output, explained: ThumbnailExplanation[]): void {
  out.result(explained, () => explained.map(formatExplanation).join('\n\n'));
}

async function result(
  { positionals, values }: { positionals: string[]; values: FlagValues<typeof flags> },
  out: Output
): Promise<ExitCode> {
  return withTemporal(async (temporal) => {
    const { handle, description } = await findBatch(temporal, positionals[0]!);
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
  });
}
