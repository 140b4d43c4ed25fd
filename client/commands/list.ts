import { formatUsd, usdToMicros } from '../../shared/money.js';
import { spendUsdKey, stageKey, thumbnailCountKey } from '../../shared/search-attributes.js';
import { parseInteger } from '../../shared/validation.js';
import { command, jsonFlag, type FlagValues, type Flags } from '../command-spec.js';
import { withTemporal } from '../connection.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { table, type Output } from '../output.js';

const flags = {
  limit: { type: 'string', arg: 'N', description: 'how many batches, newest first', default: '20' },
  ...jsonFlag,
} as const satisfies Flags;

export const listCommand = command({
  name: 'list',
  summary: 'Recent batches with stage, spend and size, from the search attributes the workflows publish.',
  flags,
  run: list,
});

/** Recent batches from visibility, with the spend and stage the workflows publish as search attributes. */
async function list({ values }: { values: FlagValues<typeof flags> }, out: Output): Promise<ExitCode> {
  const limit = parseInteger('--limit', values.limit, { min: 1 });
  if (typeof limit !== 'number') throw new CliError(EXIT.invalidInput, limit.problem);
  // The listing reads only search attributes (never encrypted); the SDK still decodes each memo.
  return withTemporal(
    async (temporal) => {
      const rows: {
        batchId: string;
        status: string;
        startTime: string;
        stage?: string;
        spendUsd?: number;
        thumbnails?: number;
      }[] = [];
      for await (const wf of temporal.client.workflow.list({ query: `WorkflowType = 'batchWorkflow'` })) {
        const sa = wf.typedSearchAttributes;
        rows.push({
          batchId: wf.workflowId,
          status: wf.status.name,
          startTime: wf.startTime.toISOString(),
          stage: sa.get(stageKey),
          spendUsd: sa.get(spendUsdKey),
          thumbnails: sa.get(thumbnailCountKey),
        });
      }
      // One entry per batch (continue-as-new leaves earlier runs behind), newest first.
      const latest = new Map<string, (typeof rows)[number]>();
      for (const r of rows) {
        const seen = latest.get(r.batchId);
        if (!seen || seen.startTime < r.startTime) latest.set(r.batchId, r);
      }
      const batches = [...latest.values()].sort((a, b) => b.startTime.localeCompare(a.startTime)).slice(0, limit);
      out.result(batches, () =>
        batches.length === 0
          ? 'no batches yet'
          : table([
              ['batch', 'status', 'stage', 'thumbnails', 'spend', 'started'],
              ...batches.map((b) => [
                b.batchId,
                b.status.toLowerCase(),
                b.stage ?? '',
                b.thumbnails === undefined ? '' : String(b.thumbnails),
                b.spendUsd === undefined ? '' : formatUsd(usdToMicros(b.spendUsd)),
                b.startTime,
              ]),
            ])
      );
      return EXIT.ok;
    },
    { withoutKeys: 'blank' }
  );
}
