import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { HISTORY_FIXTURES, workflowBundle } from './helpers/pipeline.js';

/**
 * Determinism guard across changes: histories recorded from a real batch (a draft that succeeded,
 * one the provider rejected, a re-roll, and the batch itself) must replay against the current
 * workflow code. Refresh them deliberately with `RECORD_HISTORIES=1 npm test` when a change is
 * meant to be incompatible (and version the workflow for running batches).
 */
test('recorded batch histories replay against the current workflow code', async () => {
  const files = (await readdir(HISTORY_FIXTURES)).filter((f) => f.endsWith('.json')).sort();
  expect(files).toEqual(['batch.json', 'draft-ok.json', 'draft-rejected.json', 'reroll.json']);
  const histories = await Promise.all(
    files.map(async (f) => ({
      workflowId: basename(f, '.json'),
      // Recorded with JSON.stringify of the fetched History message; fromObject reads that form back.
      history: temporal.api.history.v1.History.fromObject(
        JSON.parse(await readFile(join(HISTORY_FIXTURES, f), 'utf8')) as Record<string, unknown>
      ),
    }))
  );
  const results = [];
  for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
    results.push({ workflowId: r.workflowId, error: r.error?.message });
  }
  expect(results).toEqual(files.map((f) => ({ workflowId: basename(f, '.json'), error: undefined })));
});
