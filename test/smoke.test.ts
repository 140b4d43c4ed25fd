import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { pipeline, env } from '@xenova/transformers';
import sharp from 'sharp';
import * as acts from './smoke/acts.js';

test('smoke', async () => {
  expect(typeof pipeline).toBe('function');
  expect(env).toBeDefined();
  const img = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#f00' } }).png().toBuffer();
  expect((await sharp(img).metadata()).width).toBe(4);
  const testEnv = await TestWorkflowEnvironment.createFromExistingServer({ address: process.env.TEMPORAL_TEST_ADDRESS! });
  const worker = await Worker.create({
    connection: testEnv.nativeConnection,
    taskQueue: 'smoke',
    workflowsPath: fileURLToPath(new URL('./smoke/wf.ts', import.meta.url)),
    activities: acts,
  });
  const r = await worker.runUntil(testEnv.client.workflow.execute('smoke', { args: ['x'], taskQueue: 'smoke', workflowId: 'smoke-' + Date.now() }));
  expect(r).toBe('hi x');
  await testEnv.teardown();
});
