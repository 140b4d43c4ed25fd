import { mkdir, readFile, readdir, rm, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApplicationFailure } from '@temporalio/common';
import { createOutputActivities, type ResultsLine } from '../../activities/outputs/index.js';
import { applicationFailure } from '../helpers/rejection.js';
import { BatchBuilder, COLOURS, standardBatch, tempRoot, type Fixture } from './fixtures.js';

async function refusal(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await applicationFailure(promise);
  expect(err.nonRetryable).toBe(true);
  return err;
}

function writer(f: Pick<Fixture, 'store' | 'outRoot'>) {
  return createOutputActivities({ store: f.store, outRoot: f.outRoot }).writeBatchOutputs;
}

/** Every path under `root` outside the store, so a test can prove nothing else was written. */
async function writtenOutsideStore(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true });
  return entries.filter((p) => !p.startsWith('store')).sort();
}

describe('writeBatchOutputs refuses paths outside the output folder', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await standardBatch();
  });
  afterEach(() => rm(f.root, { recursive: true, force: true }));

  test.each(['../escape', '..', '.', '', 'a/b', '/abs', 'batch 7', '-rf', 'x'.repeat(101)])(
    'refuses batch id %j and writes nothing',
    async (batchId) => {
      const err = await refusal(
        writer(f)({ batchId, manifest: f.manifest, rerolls: [], cost: f.cost, workflowId: 'wf' })
      );
      expect(err.type).toBe('UnsafeOutputPath');
      expect(await writtenOutsideStore(f.root)).toEqual([]);
    }
  );

  test.each(['../evil', '..', 'a/b', '.hidden', 'a..b', 'C:\\x'])(
    'refuses thumbnail id %j and writes nothing',
    async (id) => {
      const { root, store, outRoot } = await tempRoot();
      try {
        const b = new BatchBuilder(store);
        b.brief('fine');
        await b.result('fine', 'draft', [{ colour: COLOURS.green, score: 0.5 }]);
        b.brief(id);
        const bad = await b.finish(root, outRoot);
        const err = await refusal(
          writer(bad)({ batchId: 'batch-7', manifest: bad.manifest, rerolls: [], cost: bad.cost, workflowId: 'wf' })
        );
        expect(err.type).toBe('UnsafeOutputPath');
        expect(await writtenOutsideStore(root)).toEqual([]);
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    }
  );

  test('refuses a batch folder that is a symlink to somewhere else', async () => {
    const elsewhere = join(f.root, 'elsewhere');
    await mkdir(elsewhere, { recursive: true });
    await mkdir(f.outRoot, { recursive: true });
    await symlink(elsewhere, join(f.outRoot, 'batch-7'));
    const err = await refusal(
      writer(f)({ batchId: 'batch-7', manifest: f.manifest, rerolls: f.rerolls, cost: f.cost, workflowId: 'wf' })
    );
    expect(err.type).toBe('UnsafeOutputPath');
    expect(await readdir(elsewhere)).toEqual([]);
  });

  test('refuses a manifest with a duplicate id', async () => {
    const { root, store, outRoot } = await tempRoot();
    try {
      const b = new BatchBuilder(store);
      b.brief('twice');
      b.brief('twice');
      const dup = await b.finish(root, outRoot);
      const err = await refusal(
        writer(dup)({ batchId: 'batch-7', manifest: dup.manifest, rerolls: [], cost: dup.cost, workflowId: 'wf' })
      );
      expect(err.message).toMatch(/twice/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('writeBatchOutputs when the store lost an image', () => {
  test('a missing winner makes that thumbnail fail with the reason; the rest are written', async () => {
    const f = await standardBatch();
    try {
      const winner = f.results[0]!.candidates[2]!.image;
      await rm(f.store.pathOf(winner));
      const { outputDir, winners } = await writer(f)({
        batchId: 'batch-7',
        manifest: f.manifest,
        rerolls: f.rerolls,
        cost: f.cost,
        workflowId: 'wf',
      });
      expect(winners).toBe(2);
      await expect(stat(join(outputDir, 'alpha.jpg'))).rejects.toMatchObject({ code: 'ENOENT' });
      await expect(stat(join(outputDir, 'bravo.jpg'))).resolves.toBeDefined();
      const alpha = JSON.parse(
        (await readFile(join(outputDir, 'results.jsonl'), 'utf8')).split('\n')[0]!
      ) as ResultsLine;
      expect(alpha.status).toBe('failed');
      expect(alpha.reason).toContain('missing from the store');
      expect(alpha.candidates[2]!.preview).toBeNull();
      const html = await readFile(join(outputDir, 'contact-sheet.html'), 'utf8');
      expect(html).toContain('image missing');
    } finally {
      await rm(f.root, { recursive: true, force: true });
    }
  });
});
