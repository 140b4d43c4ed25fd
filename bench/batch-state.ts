/**
 * `npm run bench:state`: the workflow-task CPU that booking one finished thumbnail costs. `BatchState.record`
 * runs in the batch workflow for every thumbnail, on the first run and again on every replay, so its cost
 * multiplies by the batch size. Records 20,000 drafts (the largest batch) with spread scores, so the bottom
 * list fills to its 2,000-entry bound and keeps changing, and prints µs of process CPU per `record()`.
 * Prints figures; asserts nothing.
 *
 *   npm run bench:state                   # 20,000 drafts, best of 3 runs
 *   npm run bench:state -- --briefs 5000 --runs 5
 */
import { parseArgs } from 'node:util';
import { resolveBatchOptions } from '../shared/batch-options.js';
import { scoredResult } from './scored-result.js';
import { BatchState } from '../workflows/batch-state.js';

const { values } = parseArgs({ options: { briefs: { type: 'string' }, runs: { type: 'string' } } });
const briefs = Number(values.briefs ?? 20_000);
const runs = Number(values.runs ?? 3);

// A deterministic spread of scores (a multiplicative hash), built before timing starts.
const results = Array.from({ length: briefs }, (_, i) =>
  scoredResult(`thumb-${String(i).padStart(5, '0')}`, ((i * 2_654_435_761) % 1_000_003) / 1_000_003)
);

function once(): number {
  const state = new BatchState({
    batchId: 'bench',
    manifest: { sha256: 'a'.repeat(64), bytes: 1, contentType: 'application/x-ndjson' },
    thumbnails: briefs,
    thumbnailsPerRun: briefs,
    options: resolveBatchOptions({ rerollFraction: 0.1 }),
  });
  const start = process.cpuUsage();
  for (const r of results) state.record(r);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / briefs;
}

const perRecord = Array.from({ length: runs }, once);
console.log(
  `BatchState.record at ${briefs} drafts (bottom list of ${Math.ceil(briefs * 0.1)}): ` +
    `${Math.min(...perRecord).toFixed(1)} µs CPU per record at best of ${runs} ` +
    `(runs: ${perRecord.map((us) => us.toFixed(1)).join(', ')} µs)`
);
