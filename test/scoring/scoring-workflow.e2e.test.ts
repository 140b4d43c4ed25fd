import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  DefaultLogger,
  Runtime,
  Worker,
  bundleWorkflowCode,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { LocalBlobStore } from '../../node/blob-store.js';
import { ClipModelProvider, SCORING_WORKER_OPTIONS, createScoringActivities } from '../../activities/scoring/index.js';
import type { BlobRef } from '../../shared/blob-ref.js';
import type { ScoreCandidatesInput } from '../../shared/scoring.js';
import { HEIGHT, WIDTH, blurredScenePng, scenePng, wrongSizePng } from './fixtures.js';
import type { scoreWorkflow } from './score-workflow.js';
import { tinyModelConfig } from './tiny-model.js';

let env: TestWorkflowEnvironment;
let root: string;
let store: LocalBlobStore;
let bundle: WorkflowBundleWithSourceMap;
let taskQueue: string;
let calls = 0;
const activities = () => {
  const { scoreCandidates } = createScoringActivities({ store, model: new ClipModelProvider(tinyModelConfig()) });
  return {
    scoreCandidates: (input: ScoreCandidatesInput) => {
      calls++;
      return scoreCandidates(input);
    },
  };
};

beforeAll(async () => {
  const address = process.env.TEMPORAL_TEST_ADDRESS;
  if (!address) throw new Error('TEMPORAL_TEST_ADDRESS is not set: run the tests with `npm test`');
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // installed by another test file in this process
  }
  env = await TestWorkflowEnvironment.createFromExistingServer({ address });
  root = await mkdtemp(join(tmpdir(), 'thumbgate-scoring-wf-'));
  store = new LocalBlobStore(root);
  taskQueue = `scoring-test-${randomUUID()}`;
  bundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./score-workflow.ts', import.meta.url)),
    logger: new DefaultLogger('ERROR'),
  });
});

afterAll(async () => {
  await env?.teardown();
  if (root) await rm(root, { recursive: true, force: true });
});

/** A fresh worker per workflow (a worker that has run until something is shut down). */
async function run(input: ScoreCandidatesInput) {
  const worker = await Worker.create({
    ...SCORING_WORKER_OPTIONS,
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities: activities(),
  });
  return worker.runUntil(
    env.client.workflow.execute<typeof scoreWorkflow>('scoreWorkflow', {
      taskQueue,
      workflowId: `score-${randomUUID()}`,
      args: [input],
    })
  );
}

test('the scoring activity runs inside a workflow and returns the same scores as a direct call', async () => {
  const refs: BlobRef[] = await Promise.all(
    [await scenePng(1), await blurredScenePng(1)].map((bytes) => store.put(bytes, 'image/png'))
  );
  const input = { prompt: 'a travel vlog thumbnail', images: refs, width: WIDTH, height: HEIGHT };
  const result = await run(input);
  expect(result.scorer).toMatchObject({ modelId: 'tiny-clip', randomWeights: true });
  expect(result.scores).toHaveLength(2);
  const direct = await activities().scoreCandidates(input);
  expect(result).toEqual(direct);
});

test('a wrong-size image fails the activity once, without retries, with its type', async () => {
  const ref = await store.put(await wrongSizePng(), 'image/png');
  calls = 0;
  const err = await run({ prompt: 'x', images: [ref], width: WIDTH, height: HEIGHT }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const activityFailure = (err as WorkflowFailedError).cause;
  expect(activityFailure).toBeInstanceOf(ActivityFailure);
  const cause = (activityFailure as ActivityFailure).cause as ApplicationFailure;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect(cause.type).toBe('ScoringWrongImageSize');
  expect(cause.nonRetryable).toBe(true);
  expect(calls).toBe(1);
});
