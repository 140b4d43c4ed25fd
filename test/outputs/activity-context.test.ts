import { rm } from 'node:fs/promises';
import { MockActivityEnvironment } from '@temporalio/testing';
import sharp from 'sharp';
import { renderContactSheet } from '../../activities/outputs/contact-sheet-image.js';
import { createOutputActivities } from '../../activities/outputs/index.js';
import { standardBatch } from './fixtures.js';

test('inside an activity it heartbeats progress through the activity context', async () => {
  const f = await standardBatch();
  try {
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const { writeBatchOutputs } = createOutputActivities({ store: f.store, outRoot: f.outRoot });
    const result: { winners: number } = await env.run(writeBatchOutputs, {
      batchId: 'batch-7',
      manifest: f.manifest,
      rerolls: f.rerolls,
      cost: f.cost,
      workflowId: 'wf',
    });
    expect(result.winners).toBe(3);
    expect(beats).toContainEqual({ stage: 'thumbnails', done: 5, of: 5 });
    expect(beats).toContainEqual({ stage: 'contact-sheet', done: 5, of: 5 });
  } finally {
    await rm(f.root, { recursive: true, force: true });
  }
});

test.each([true, false])(
  'the contact-sheet image renders with text=%s (bars and colours only without fonts)',
  async (text) => {
    const jpeg = await renderContactSheet(
      { title: 'Batch <b> & co', lines: ['one'], randomWeightsNotice: 'random' },
      [
        { id: 'a', status: 'ok', caption: '$0.0300 · 4 calls', tiles: [{ phase: 'draft', score: 0.5, winner: true }] },
        { id: 'b', status: 'failed', caption: 'failed: a long reason '.repeat(10), tiles: [] },
      ],
      text
    );
    const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
    expect(info.format).toBe('raw');
    // The random-weights band is red at the top either way.
    expect([data[0]! > 150, data[1]! < 60, data[2]! < 60]).toEqual([true, true, true]);
  }
);
