/**
 * Issue 17.5 end to end: with THUMBGATE_PAYLOAD_KEYS set, a real batch (real server, emulator over HTTP,
 * tiny CLIP) leaves nothing readable in Temporal: its prompt, brief metadata, notify URL token and a
 * provider failure message appear nowhere in the raw history bytes of the batch or of any thumbnail
 * workflow, while the same histories read through the codec show every one of them.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { createGenerateActivities } from '../activities/generate-candidate.js';
import { SegmindClient } from '../activities/segmind/client.js';
import { startBatch } from '../client/batch-client.js';
import { startCodecServer } from '../client/commands/codec-server.js';
import { payloadCodecFromEnv, payloadDataConverter } from '../node/payload-codec.js';
import { resolveBatchOptions } from '../shared/batch-options.js';
import { failure } from '../shared/failures.js';
import type { GenerateCandidateInput } from '../shared/generation.js';
import { temporalToolPaths } from '../scripts/temporal-server.js';
import { testBriefs } from './helpers/briefs.js';
import { startReceiver, type CallbackReceiver } from './helpers/callback-receiver.js';
import { thumbgate } from './helpers/cli-process.js';
import { decodedHistoryText } from './helpers/history.js';
import { HISTORY_FIXTURES, TEST_API_KEY, startPipeline, workflowBundle, type Pipeline } from './helpers/pipeline.js';

type History = temporal.api.history.v1.IHistory;

const run = randomBytes(4).toString('hex');
const MARKERS = {
  prompt: `prompt-marker-${run}`,
  metadata: `metadata-marker-${run}`,
  notifyToken: `notify-token-${run}`,
  failure: `provider-error-marker-${run}`,
};
const env = { THUMBGATE_PAYLOAD_KEYS: `ops-1:${randomBytes(32).toString('base64')}` };
const codec = payloadCodecFromEnv(env)!;

/** The history exactly as the server stores it: no data converter, no codec. */
async function rawHistory(client: Client, workflowId: string): Promise<History> {
  const events: temporal.api.history.v1.IHistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId },
      ...(nextPageToken ? { nextPageToken } : {}),
    });
    events.push(...(page.history?.events ?? []));
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return { events };
}

const isPayload = (v: object): v is Payload =>
  'data' in v && (v as Payload).data instanceof Uint8Array && 'metadata' in v;

/** Every payload of the history (inputs, results, memos, failures' encoded attributes) run through the codec. */
async function decodeAll(value: unknown): Promise<unknown> {
  if (value instanceof Uint8Array || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return Promise.all(value.map(decodeAll));
  if (isPayload(value)) return (await codec.decode([value]))[0];
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = await decodeAll(v);
  return out;
}

describe('payload codec on a real batch', () => {
  let p: Pipeline;
  let receiver: CallbackReceiver;
  let requestCandidate: ((input: GenerateCandidateInput) => Promise<unknown>) | undefined;

  beforeAll(async () => {
    receiver = await startReceiver();
    p = await startPipeline({
      dataConverter: payloadDataConverter(env),
      emulator: { latencyScale: 0.05 },
      activityOverrides: {
        // The provider refuses one brief with a message carrying a marker (provider error text).
        requestCandidate: (input) =>
          input.params.prompt.includes(MARKERS.failure)
            ? Promise.reject(failure('ProviderInvalidRequest', `Segmind refused the prompt: ${MARKERS.failure}`))
            : (requestCandidate!(input) as ReturnType<ReturnType<typeof createGenerateActivities>['requestCandidate']>),
      },
    });
    const provider = new SegmindClient({ apiKey: TEST_API_KEY, baseUrl: p.emulator.url });
    ({ requestCandidate } = createGenerateActivities({ store: p.store, provider, pollIntervalMs: 100 }));
  });
  afterAll(async () => {
    await p?.teardown();
    await receiver?.close();
  });

  const batchId = `codec-${run}`;

  test('raw histories hold none of the markers; through the codec they hold all of them', async () => {
    const briefs = testBriefs(3, 'sealed', {
      extra: (i) => (i === 0 ? `, ${MARKERS.prompt}` : i === 1 ? `, ${MARKERS.failure}` : ''),
      metadata: () => ({ campaign: MARKERS.metadata }),
    });
    const started = await startBatch({
      client: p.env.client,
      store: p.store,
      batchId,
      briefs,
      options: resolveBatchOptions({ size: { width: 448, height: 256 }, maxInFlight: 3 }),
      taskQueue: p.taskQueue,
      notifyUrl: `${receiver.url}?token=${MARKERS.notifyToken}`,
    });
    // The client decodes what the workers encrypted, failures included.
    const result = await started.handle.result();
    expect(result.succeeded).toBe(2);
    expect(result.failed).toEqual([expect.objectContaining({ id: briefs[1]!.id, type: 'ProviderInvalidRequest' })]);
    expect(result.failed[0]!.reason).toContain(MARKERS.failure);

    const batch = await rawHistory(p.env.client, batchId);
    const children = (batch.events ?? [])
      .map((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId)
      .filter((id): id is string => typeof id === 'string');
    expect(children.length).toBeGreaterThanOrEqual(3);
    const histories = [batch, ...(await Promise.all(children.map((id) => rawHistory(p.env.client, id))))];

    const raw = Buffer.concat(histories.map((h) => temporal.api.history.v1.History.encode(h).finish()));
    for (const marker of Object.values(MARKERS))
      expect({ marker, found: raw.includes(marker) }).toEqual({ marker, found: false });
    // Failures keep only the SDK's placeholder in the clear; the message is in the encrypted attributes.
    const failures = histories.flatMap((h) =>
      (h.events ?? []).map((e) => e.activityTaskFailedEventAttributes?.failure).filter((f) => f)
    );
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) expect(f!.message).toBe('Encoded failure');

    const decoded = (await Promise.all(histories.map(decodeAll)))
      .map((h) => decodedHistoryText(h as History))
      .join('\n');
    for (const marker of Object.values(MARKERS))
      expect({ marker, found: decoded.includes(marker) }).toEqual({ marker, found: true });
  });

  test('a CLI without the keys: `list` still lists the encrypted batch; reading it names the fix (exit 2)', async () => {
    const keyless = { TEMPORAL_ADDRESS: process.env.TEMPORAL_TEST_ADDRESS!, THUMBGATE_PAYLOAD_KEYS: undefined };
    const list = await thumbgate(['list', '--json', '--limit', '1000'], keyless);
    expect({ code: list.code, stderr: list.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(list.stdout)).toContainEqual(expect.objectContaining({ batchId, status: 'COMPLETED' }));
    const result = await thumbgate(['result', batchId], keyless);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/payloads are encrypted .*give this process the same THUMBGATE_PAYLOAD_KEYS/);
    // With the keys, the same command reads it.
    expect((await thumbgate(['result', batchId, '--json'], { ...keyless, ...env })).code).toBe(0);
  });

  test('`temporal workflow show` reads the batch through `thumbgate codec-server` (bearer token on)', async () => {
    const TOKEN = randomBytes(16).toString('hex');
    const server = await startCodecServer({ codec, port: 0, token: TOKEN });
    const show = async (...flags: string[]): Promise<string> => {
      const args = [
        'workflow',
        'show',
        '-w',
        batchId,
        '--address',
        process.env.TEMPORAL_TEST_ADDRESS!,
        '--output',
        'json',
      ];
      const { stdout } = await promisify(execFile)(temporalToolPaths().cli, [...args, ...flags], {
        maxBuffer: 64 * 1024 * 1024,
      });
      // Payload data is base64 in the JSON: read it as text, decoded.
      return decodedHistoryText(JSON.parse(stdout) as History);
    };
    try {
      expect(await show()).not.toContain(MARKERS.notifyToken);
      const decoded = await show('--codec-endpoint', server.url, '--codec-auth', `Bearer ${TOKEN}`);
      expect(decoded).toContain(MARKERS.notifyToken);
    } finally {
      await server.close();
    }
  });

  test('histories recorded before the codec (the replay fixtures) still replay with it on', async () => {
    const dataConverter = payloadDataConverter(env);
    const files = (await readdir(HISTORY_FIXTURES)).filter((f) => f.endsWith('.json'));
    const histories = await Promise.all(
      files.map(async (f) => ({
        workflowId: basename(f, '.json'),
        history: temporal.api.history.v1.History.fromObject(
          JSON.parse(await readFile(join(HISTORY_FIXTURES, f), 'utf8')) as Record<string, unknown>
        ),
      }))
    );
    const bundle = await workflowBundle(dataConverter.failureConverterPath);
    const errors = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: bundle, dataConverter }, histories)) {
      errors.push({ workflowId: r.workflowId, error: r.error?.message });
    }
    expect(errors).toEqual(files.map((f) => ({ workflowId: basename(f, '.json'), error: undefined })));
  });
});
