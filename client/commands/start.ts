import { parseArgs } from 'node:util';
import { LocalBlobStore } from '../../node/blob-store.js';
import { reservedBatchIdProblem } from '../../shared/schedule.js';
import { GENERATION_TASK_QUEUE } from '../../shared/task-queues.js';
import { defaultStoreDir } from '../../node/paths.js';
import { assertValidBatchId, defaultBatchId, startBatch, waitForBatch } from '../batch-client.js';
import { connectTemporal, uiLink } from '../connection.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { formatResult } from '../format-cost.js';
import { ManifestError, loadManifest } from '../../node/manifest/index.js';
import { batchOptionsFromFlags, batchOptionFlags } from '../options-flags.js';
import type { Output } from '../output.js';
import { runFlags, runFlagsUsage, runSettingsFromFlags } from '../run-flags.js';

export const startUsage = `thumbgate start --manifest FILE [--batch-id ID] [--wait] [--json]
  [--candidates N] [--draft-model M] [--draft-steps N] [--reroll-model M]
  [--reroll-fraction F] [--max-in-flight N] [--size WxH]
  [--max-consecutive-unusable N] [--max-unusable-share F]
  ${runFlagsUsage}`;

/** Validates everything first; only a fully valid manifest and options start (or attach to) a batch. */
export async function start(argv: string[], out: Output): Promise<ExitCode> {
  const { values } = parseArgs({
    args: argv,
    options: {
      manifest: { type: 'string' },
      'batch-id': { type: 'string' },
      wait: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      ...batchOptionFlags,
      ...runFlags,
    },
  });
  if (!values.manifest) throw new CliError(EXIT.invalidInput, `--manifest FILE is required\nusage: ${startUsage}`);
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
  const temporal = await connectTemporal();
  try {
    const started = await startBatch({
      client: temporal.client,
      store: new LocalBlobStore(defaultStoreDir()),
      batchId,
      briefs,
      options,
      ...settings,
      taskQueue: process.env.THUMBGATE_TASK_QUEUE ?? GENERATION_TASK_QUEUE,
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
  } finally {
    await temporal.close();
  }
}
