import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { SHEET_MAX_ROWS, createOutputActivities, type BatchSummary } from '../../activities/outputs/index.js';
import { BATCH_ID, BatchBuilder, COLOURS, tempRoot } from './fixtures.js';

test('a batch larger than the image cap: the JPEG stops at the cap, the HTML lists everyone', async () => {
  const { root, store, outRoot } = await tempRoot();
  try {
    const b = new BatchBuilder(store, false);
    const n = SHEET_MAX_ROWS + 3;
    for (let i = 0; i < n; i++) {
      const id = `t${String(i).padStart(4, '0')}`;
      b.brief(id);
      // Same colour for all: one stored blob, so the test stays fast.
      await b.result(id, 'draft', [{ colour: COLOURS.blue, score: 0.5 }]);
    }
    const f = await b.finish(root, outRoot);
    const { writeBatchOutputs } = createOutputActivities({ store, outRoot });
    const { outputDir, winners } = await writeBatchOutputs({
      batchId: BATCH_ID,
      manifest: f.manifest,
      rerolls: [],
      cost: f.cost,
      workflowId: 'wf',
    });
    expect(winners).toBe(n);
    const html = await readFile(join(outputDir, 'contact-sheet.html'), 'utf8');
    for (const brief of f.briefs) expect(html).toContain(`id="t-${brief.id}"`);
    expect(html).toContain(`shows the first ${SHEET_MAX_ROWS} of ${n} thumbnails`);
    const summary = JSON.parse(await readFile(join(outputDir, 'summary.json'), 'utf8')) as BatchSummary;
    expect(summary.contactSheet.imageRows).toBe(SHEET_MAX_ROWS);
    const meta = await sharp(join(outputDir, 'contact-sheet.jpg')).metadata();
    expect(meta.height).toBeLessThan(65_535);
    expect(meta.height).toBeGreaterThan(SHEET_MAX_ROWS * 100);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
