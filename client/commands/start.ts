import { LocalBlobStore } from '../../node/blob-store.js';
import { reservedBatchIdProblem } from '../../shared/schedule.js';
import { taskQueueFromEnv } from '../../shared/task-queues.js';
import { defaultStoreDir } from '../../node/paths.js';
import { assertValidBatchId, defaultBatchId, startBatch, waitForBatch } from '../batch-client.js';
import { command, jsonFlag, type FlagValues, type Flags } from '../command-spec.js';
import { uiLink, withTemporal } from '../connection.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { formatResult } from '../format-cost.js';
import { ManifestError, loadManifest } from '../../node/manifest/index.js';
import { batchOptionsFromFlags, batchOptionFlags } from '../options-flags.js';
import type { Output } from '../output.js';
import { runFlags, runSettingsFromFlags } from '../run-flags.js';

const flags = {
  manifest: { type: 'string', arg: 'FILE', description: 'the briefs, CSV or JSONL', required: true },
  'batch-id': {
    type: 'string',
    arg: 'ID',
    description: 'the batch (workflow) id (default: derived from the manifest)',
  },
  wait: { type: 'boolean', description: 'show progress and print the result when the batch ends' },
  ...jsonFlag,
  ...batchOptionFlags,
  ...runFlags,
} as const satisfies Flags;

export const startCommand = command({
  name: 'start',
  summary:
    'Validates the manifest and options, then starts the batch (or attaches to the running batch with that id); ' +
    'prints the workflow id and the Temporal UI link.',
  flags,
  run: start,
});

/** Validates everything first; only a fully valid manifest and options start (or attach to) a batch. */
async function start({ values }: { values: FlagValues<typeof flags> }, out: Output): Promise<ExitCode> {
  const options = batchOptionsFromFlags(values);
  const settings = await runSettingsFromFlags(values);
  let briefs;
  try {
    briefs = await loadManifest(values.manifest, options);
  } catch (err) {
    if (err instanceof ManifestError) throw new CliError(EXIT.invalidInput, err.message);
    throw err;
  }
  const batchId = values['batch-id'] ?? defaultBatchId(values.manifest, briefs, options);
  assertValidBatchId(batchId); // before connecting: a bad id is exit 2 even with Temporal down
  // The batch would refuse it too (it is a schedule's firing's id); here it is refused before anything is stored.
  const reserved = reservedBatchIdProblem('--batch-id', batchId);
  if (reserved) throw new CliError(EXIT.invalidInput, reserved);
  return withTemporal(async (temporal) => {
    const started = await startBatch({
      client: temporal.client,
      store: new LocalBlobStore(defaultStoreDir()),
      batchId,
      briefs,
      options,
      ...settings,
      taskQueue: taskQueueFromEnv(process.env),
    });
    const link = uiLink(temporal.namespace, batchId);
    const said = {
      started: `started batch ${batchId} (${briefs.length} thumbnails)`,
      attached: `batch ${batchId} is already running; attached to it (nothing new was started)`,
      finished: `batch ${batchId} already completed; nothing new was started — see \`thumbgate result ${batchId}\``,
      restarted: `batch ${batchId} ${started.status?.toLowerCase()} before; started it again (drafts already paid for are reused)`,
    }[started.outcome];
    if (!values.wait) {
      out.result({ batchId, workflowId: batchId, outcome: started.outcome, status: started.status, ui: link }, () =>
        [said, `workflow id: ${batchId}`, `Temporal UI: ${link}`].join('\n')
      );
      return EXIT.ok;
    }
    out.note(`${said}\nworkflow id: ${batchId}\nTemporal UI: ${link}`);
    const result = await waitForBatch(started.handle, out.json ? null : process.stderr);
    out.result({ ...result, ui: link }, () => formatResult(result));
    return EXIT.ok;
  });
}
