/**
 * Every malformed manifest in test/fixtures/manifests/ through the real CLI: `thumbgate start` must
 * refuse it with exit 2, name the line (and field) and say what is accepted, and start nothing —
 * it must not even try to reach Temporal, and the store stays empty.
 */
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { projectRoot } from '../../node/paths.js';
import { thumbgate, type CliRun } from '../helpers/cli-process.js';

const CORPUS = join(projectRoot, 'test', 'fixtures', 'manifests');

interface Expected {
  /** The line the problem is reported on; null for a whole-file problem. */
  line: number | null;
  /** The field named, as printed (the CLI shows control characters as \xNN); null where none applies. */
  field: string | null;
  /** A regular expression the problem's message must match. */
  message: string;
}

async function inParallel<T, R>(items: T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await run(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('the malformed-manifest corpus through `thumbgate start`', () => {
  let dir: string;
  let store: string;
  let corpus: Record<string, Expected>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'thumbgate-corpus-'));
    store = join(dir, 'store');
    corpus = JSON.parse(await readFile(join(CORPUS, 'corpus.json'), 'utf8')) as Record<string, Expected>;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('corpus.json lists every fixture, and there are at least 40', async () => {
    const files = (await readdir(CORPUS)).filter((f) => f !== 'corpus.json').sort();
    expect(Object.keys(corpus).sort()).toEqual(files);
    expect(files.length).toBeGreaterThanOrEqual(40);
    expect(files.some((f) => f.endsWith('.csv'))).toBe(true);
    expect(files.some((f) => f.endsWith('.jsonl'))).toBe(true);
    expect(files.some((f) => f.endsWith('.json'))).toBe(true);
  });

  test('each is exit 2 with its line, field and message, and nothing starts', async () => {
    // A generated one too: the size limit (a sparse file, nothing is written).
    const huge = join(dir, 'huge.csv');
    await writeFile(huge, 'id,prompt\n');
    await truncate(huge, 20 * 1024 * 1024 + 1);
    const cases: [string, Expected][] = [
      ...Object.entries(corpus).map(([file, expected]): [string, Expected] => [join(CORPUS, file), expected]),
      [huge, { line: null, field: null, message: 'at most 20 MiB is accepted — split it into several manifests' }],
    ];
    const env = { TEMPORAL_ADDRESS: '127.0.0.1:1', THUMBGATE_STORE_DIR: store, THUMBGATE_OUT_DIR: join(dir, 'out') };
    const runs = await inParallel(cases, Math.max(2, availableParallelism()), ([path]) =>
      thumbgate(['start', '--manifest', relative(projectRoot, path)], env)
    );
    const failures: string[] = [];
    cases.forEach(([path, expected], i) => {
      const run = runs[i] as CliRun;
      const name = relative(projectRoot, path);
      const where =
        (expected.line === null ? escape(name) : `${escape(name)} line ${expected.line}`) +
        (expected.field === null ? '' : `, field "${escape(expected.field)}"`);
      const pattern = new RegExp(`${where}: .*${expected.message}`);
      if (run.code !== 2) failures.push(`${name}: exit ${run.code}, expected 2\n${run.stderr}`);
      else if (!pattern.test(run.stderr)) failures.push(`${name}: expected ${String(pattern)} in\n${run.stderr}`);
      else if (/cannot reach Temporal/.test(run.stderr)) failures.push(`${name}: tried to reach Temporal`);
      else if (!/no briefs were accepted/.test(run.stderr)) failures.push(`${name}: not a manifest error`);
    });
    expect(failures).toEqual([]);
    // Nothing was stored (the CLI stores the manifest only after connecting) and nothing was written.
    expect(await readdir(dir)).toEqual(['huge.csv']);
  }, 300_000); // ~50 CLI processes at about a second of CPU each
});
