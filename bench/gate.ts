/**
 * `npm run bench:gate`: does the gate ship usable thumbnails, and at what cost? The emulator knows
 * the truth of every image it renders (its seeded pixel defect, the lettering it painted), so a
 * policy's shipped thumbnails can be checked against it. For each world (the emulator's draft
 * defect and misspelling rates), the pool — N drafts per brief on the draft model plus one re-roll
 * on the re-roll model — is bought once from an in-process emulator, scored once by the scoring
 * activity (committed tiny CLIP: random weights), cached under .cache/bench-gate/, then every policy
 * (no gate, the seed, the oracle) is replayed over it offline. Prints one table. See docs/economics.md.
 *
 *   npm run bench:gate                                   # examples/mcn-day.jsonl, three worlds
 *   npm run bench:gate -- --briefs 50 --worlds today,good --no-cache
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../node/paths.js';
import { DEFAULT_CACHE_DIR } from './gate/cache.js';
import { WORLDS } from './gate/pool.js';
import { table } from './gate/report.js';
import { runGateBench } from './gate/run.js';

const { values } = parseArgs({
  options: {
    manifest: { type: 'string', default: join(projectRoot, 'examples', 'mcn-day.jsonl') },
    briefs: { type: 'string' },
    worlds: { type: 'string' },
    'no-cache': { type: 'boolean', default: false },
    'cache-dir': { type: 'string', default: DEFAULT_CACHE_DIR },
    'latency-scale': { type: 'string', default: '0.01' },
    concurrency: { type: 'string', default: '2' },
  },
});

function positiveInteger(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

const names = values.worlds?.split(',').map((w) => w.trim());
const unknown = names?.filter((n) => !WORLDS.some((w) => w.name === n)) ?? [];
if (unknown.length) {
  throw new Error(`--worlds: unknown ${unknown.join(', ')}; choose from ${WORLDS.map((w) => w.name).join(', ')}`);
}
const latencyScale = Number(values['latency-scale']);
if (!(latencyScale >= 0))
  throw new Error(`--latency-scale must be a non-negative number, got ${values['latency-scale']}`);

const started = performance.now();
const runs = await runGateBench({
  manifestPath: values.manifest,
  ...(values.briefs === undefined ? {} : { briefs: positiveInteger('--briefs', values.briefs) }),
  worlds: names ? WORLDS.filter((w) => names.includes(w.name)) : WORLDS,
  cacheDir: values['cache-dir'],
  noCache: values['no-cache'],
  latencyScale,
  concurrency: positiveInteger('--concurrency', values.concurrency),
  log: (line) => console.error(line),
});

const scorer = runs[0]?.pool.scorer;
console.log(
  `\nGate benchmark: ${values.manifest}, ${runs[0]?.pool.briefs.length ?? 0} briefs; scorer+emulator source ${runs[0]?.code ?? '-'}`
);
if (scorer) {
  console.log(
    `scorer: ${scorer.modelId}, aesthetic ${scorer.aesthetic}` +
      (scorer.randomWeights ? ' — RANDOM WEIGHTS: the CLIP parts (aesthetic, alignment) are noise, not judgement' : '')
  );
}
for (const r of runs) {
  const w = r.pool.world;
  console.log(
    `world ${w.name}: drafts ${100 * w.draftDefectRate}% pixel defect, ${100 * w.misspellingRate}% misspelt; ` +
      `pool billed $${(r.pool.billedMicros / 1e6).toFixed(2)}; ` +
      (r.cached
        ? `replayed from cache in ${(r.wallMs / 1000).toFixed(1)} s (bought in ${(r.pool.wallMs / 1000).toFixed(0)} s)`
        : `bought and scored in ${(r.wallMs / 1000).toFixed(0)} s`)
  );
}
console.log();
console.log(table(runs.flatMap((r) => r.figures)));
console.log(`\nwall time ${((performance.now() - started) / 1000).toFixed(1)} s`);
