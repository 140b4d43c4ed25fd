/**
 * `npm run demo`: the main job, offline. Starts the Temporal dev server (or uses one already on
 * 7233), the Segmind emulator (unless SEGMIND_API_KEY is set: then the real API), the generation
 * and scoring workers, runs the bundled manifest of MCN thumbnail briefs, prints the cost table
 * and the UI link, writes out/<batch-id>/, and keeps the UI up until Ctrl-C on a terminal.
 * `npm run demo -- --max-usd 0.4` shows a budget stop; the completion callback goes to a local
 * receiver that verifies its signature (or to `--notify-url URL`, signed with THUMBGATE_WEBHOOK_SECRET(S)).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { NativeConnection, DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { LocalBlobStore } from '../node/blob-store.js';
import {
  TINY_CLIP_MODEL,
  clipModelConfigFromEnv,
  createOcrPool,
  sharedClipModelProvider,
  terminalProgress,
} from '../activities/scoring/index.js';
import { SegmindClient, createSegmindDispatcher, DEFAULT_SEGMIND_BASE_URL } from '../activities/segmind/client.js';
import { startBatch, waitForBatch } from '../client/batch-client.js';
import { uiLink } from '../client/connection.js';
import { formatResult } from '../client/format-cost.js';
import { runFlags, runSettingsFromFlags } from '../client/run-flags.js';
import { loadManifest } from '../node/manifest/index.js';
import { createEmulator, DEFAULT_EMULATOR_API_KEY, type Emulator } from '../emulator/server.js';
import { resolveBatchOptions } from '../shared/batch-options.js';
import { formatUsd } from '../shared/money.js';
import { RANDOM_WEIGHTS_NOTICE } from '../shared/scoring.js';
import { taskQueueFromEnv } from '../shared/task-queues.js';
import { createGenerationWorkers, createScoringWorker } from '../worker/create-workers.js';
import { callbackKeysFromEnv } from '../worker/callback-secrets.js';
import { ConfigError, hostListSetting } from '../worker/config.js';
import type { CallbackKeyring } from '../node/callback-signature.js';
import { defaultOutDir, defaultStoreDir, projectRoot } from '../node/paths.js';
import { payloadDataConverter } from '../node/payload-codec.js';
import { startDemoReceiver } from './demo-receiver.js';
import { freePort, isServing, startDevServer, type DevServer } from './temporal-server.js';

const MANIFEST = join(projectRoot, 'examples', 'demo-manifest.jsonl');

async function temporal(): Promise<{ address: string; ui: string; server?: DevServer }> {
  const address = '127.0.0.1:7233';
  if (await isServing(address)) return { address, ui: 'http://localhost:8233' };
  let server: DevServer;
  try {
    server = await startDevServer({ port: 7233, uiPort: 8233 });
  } catch {
    // 7233/8233 are taken by something that is not Temporal: use free ports instead.
    server = await startDevServer({ port: await freePort(), uiPort: await freePort() });
  }
  return { address: server.address, ui: server.uiUrl!, server };
}

/**
 * The environment's callback secrets for a `--notify-url` elsewhere (worker/callback-secrets.ts checks
 * them as the worker does); refused when none covers that receiver.
 */
function externalCallbackKeys(notifyUrl: string): CallbackKeyring {
  const keys = callbackKeysFromEnv(process.env);
  if (keys.secretFor(notifyUrl) !== undefined) return keys;
  throw new ConfigError(
    `--notify-url ${new URL(notifyUrl).origin} needs the secret that receiver verifies with: set ` +
      `THUMBGATE_WEBHOOK_SECRET (or a THUMBGATE_WEBHOOK_SECRETS entry for ${new URL(notifyUrl).host}); ` +
      "the demo's own secret is public and signs only for its local receiver (omit --notify-url to use it)"
  );
}

function banner(lines: string[]): void {
  const width = Math.max(...lines.map((l) => l.length));
  console.log(`+${'-'.repeat(width + 2)}+`);
  for (const l of lines) console.log(`| ${l.padEnd(width)} |`);
  console.log(`+${'-'.repeat(width + 2)}+`);
}

async function main(): Promise<void> {
  const { values: flags } = parseArgs({ args: process.argv.slice(2), options: runFlags });
  const settings = await runSettingsFromFlags(flags);
  // Checked before anything starts: a receiver elsewhere verifies with a real secret, never the demo's public one.
  const notifyKeys = settings.notifyUrl ? externalCallbackKeys(settings.notifyUrl) : undefined;
  // One line per retried failure, so the demo shows retries without stack traces.
  Runtime.install({
    logger: new DefaultLogger('WARN', ({ level, message, meta }) => {
      if (message.startsWith('No workflows registered')) return; // the scoring worker runs activities only
      const m = meta as { workflowId?: string; activityType?: string; error?: Error } | undefined;
      const where = m?.workflowId ? ` [${m.activityType ?? 'workflow'} ${m.workflowId}]` : '';
      // On a terminal, clear the progress bar's line first; the next poll redraws it.
      const clear = process.stderr.isTTY ? '\r\x1b[2K' : '';
      process.stderr.write(
        `${clear}${level.toLowerCase()}: ${message}${where}${m?.error ? `: ${m.error.message}` : ''}\n`
      );
    }),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
  });
  const realApi = Boolean(process.env.SEGMIND_API_KEY?.trim());
  const clipConfig = clipModelConfigFromEnv(
    process.env,
    process.env.THUMBGATE_CLIP_MODEL ? {} : realApi ? {} : { modelId: TINY_CLIP_MODEL, allowRemote: false }
  );
  const randomWeights = clipConfig.modelId === TINY_CLIP_MODEL;

  const { address, ui, server } = await temporal();
  process.env.THUMBGATE_UI_URL ??= ui;
  let emulator: Emulator | undefined;
  if (!realApi) {
    // A little realistic latency and a few retryable faults, so retries show up in the UI.
    emulator = await createEmulator({
      latencyScale: 0.05,
      faults: { random: { seed: 7, rates: { '429': 0.02, '500': 0.02, truncate: 0.01 } }, retryAfterSeconds: 1 },
    });
  }
  const segmind = realApi
    ? { apiKey: process.env.SEGMIND_API_KEY!.trim(), baseUrl: process.env.SEGMIND_BASE_URL ?? DEFAULT_SEGMIND_BASE_URL }
    : { apiKey: DEFAULT_EMULATOR_API_KEY, baseUrl: emulator!.url };

  banner([
    'thumbgate demo',
    `Temporal:  ${address}   Web UI: ${ui}`,
    realApi
      ? `Segmind:   ${segmind.baseUrl} (real API, real money)`
      : `Segmind:   local emulator at ${segmind.baseUrl} (no API key, no network)`,
    `CLIP:      ${clipConfig.modelId}${randomWeights ? ` — ${RANDOM_WEIGHTS_NOTICE}` : ''}`,
  ]);

  const connection = await NativeConnection.connect({ address });
  const dispatcher = createSegmindDispatcher(32);
  const store = new LocalBlobStore(defaultStoreDir());
  const taskQueue = taskQueueFromEnv(process.env);
  const ocr = createOcrPool();
  const receiver = notifyKeys ? undefined : await startDemoReceiver((l) => console.log(l));
  const notifyUrl = settings.notifyUrl ?? receiver!.url;
  const workers: Worker[] = [
    ...(await createGenerationWorkers({
      connection,
      taskQueue,
      store,
      provider: new SegmindClient({
        ...segmind,
        dispatcher,
        mediaHosts: hostListSetting(process.env, 'THUMBGATE_MEDIA_HOSTS'),
      }),
      outDir: defaultOutDir(),
      callbackKeys: notifyKeys ?? receiver!.keys,
      // The demo's own receiver listens on loopback: allowed at its host:port only.
      callbackHosts: receiver ? [new URL(receiver.url).host] : hostListSetting(process.env, 'THUMBGATE_CALLBACK_HOSTS'),
      // The emulator has no plan limit; a real account is held to its plan (Pro: 50 requests/minute).
      ...(realApi ? { providerRpm: Number(process.env.THUMBGATE_SEGMIND_RPM ?? 50) } : { pollIntervalMs: 250 }),
    })),
    await createScoringWorker({
      connection,
      taskQueue,
      store,
      model: sharedClipModelProvider(clipConfig, { onProgress: terminalProgress(process.stderr) }),
      ocr,
    }),
  ];
  const running = Promise.all(workers.map((w) => w.run()));

  const clientConnection = await Connection.connect({ address });
  // The workers' codec (off unless THUMBGATE_PAYLOAD_KEYS is set), so they read what the demo sends.
  const client = new Client({ connection: clientConnection, dataConverter: payloadDataConverter() });
  const options = resolveBatchOptions();
  const briefs = await loadManifest(MANIFEST, options);
  const batchId = `demo-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-')}`;
  const started = await startBatch({ client, store, batchId, briefs, options, taskQueue, ...settings, notifyUrl });
  console.log(`\nstarted batch ${batchId}: ${briefs.length} thumbnails from ${MANIFEST}`);
  if (settings.budget?.maxMicros !== undefined) {
    console.log(
      `spending limit: ${formatUsd(settings.budget.maxMicros, 2)} (the batch stops before a call would pass it)`
    );
  }
  console.log(`completion callback: ${notifyUrl}`);
  console.log(`watch it in the Temporal UI: ${uiLink('default', batchId)}\n`);
  const result = await waitForBatch(started.handle, process.stderr);
  console.log(`\n${formatResult(result)}`);
  if (emulator) {
    const billed = emulator.totalBilledMicros();
    const same = billed === result.cost.totals.costMicros;
    console.log(
      `\nprovider billing log: ${emulator.billing().length} calls, ${formatUsd(billed)} — ` +
        (same
          ? 'the ledger matches it to the micro-dollar'
          : `MISMATCH with the ledger's ${formatUsd(result.cost.totals.costMicros)}`)
    );
  }
  if (randomWeights) console.log(`\nnote: ${RANDOM_WEIGHTS_NOTICE} (tiny generated CLIP; see docs/scoring.md)`);
  if (result.outputDir) {
    // Why the gate chose what it chose, for the first few thumbnails (all of them: results.jsonl).
    const lines = (await readFile(join(result.outputDir, 'results.jsonl'), 'utf8')).trim().split('\n');
    console.log('\nwhy the winners won (first three; every thumbnail in results.jsonl and the contact sheet):');
    for (const line of lines.slice(0, 3)) {
      const r = JSON.parse(line) as { id: string; winner: { why: string | null } | null; reason: string | null };
      console.log(`  ${r.id}: ${r.winner?.why ?? r.reason}`);
    }
    console.log(`\nopen ${join(result.outputDir, 'contact-sheet.html')} to see every candidate`);
  }
  console.log(`Temporal UI: ${uiLink('default', batchId)}`);

  if (process.stdout.isTTY && process.stdin.isTTY) {
    console.log('\nThe Temporal UI stays up until you press Ctrl-C.');
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  }
  for (const w of workers) w.shutdown();
  await running;
  await ocr.terminate();
  await clientConnection.close();
  await connection.close();
  await dispatcher.close();
  await emulator?.close();
  await receiver?.close();
  await server?.stop();
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
