/**
 * Every malformed manifest in test/fixtures/manifests/ through what `thumbgate start` runs on it: the
 * CLI's batch options, `loadManifest`, and the terminal sanitiser its error line goes through. Each must
 * be refused with its line (and field) and what is accepted. Two cases also run the real CLI, for
 * what only the process shows: exit 2, the same message, and nothing started or stored (an invalid
 * manifest is refused before the CLI connects, so these need no Temporal server either).
 */
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { forTerminal } from '../../client/terminal-text.js';
import { batchOptionsFromFlags } from '../../client/options-flags.js';
import { ManifestError, loadManifest } from '../../node/manifest/index.js';
import { projectRoot } from '../../node/paths.js';
import { thumbgate } from '../helpers/cli-process.js';

const CORPUS = join(projectRoot, 'test', 'fixtures', 'manifests');

interface Expected {
  /** The line the problem is reported on; null for a whole-file problem. */
  line: number | null;
  /** The field named, as printed (the CLI shows control characters as \xNN); null where none applies. */
  field: string | null;
  /** A regular expression the problem's message must match. */
  message: string;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What the CLI prints for `name`'s problem: `name line N, field "F": … message`. */
function problemLine(name: string, expected: Expected): RegExp {
  const where =
    (expected.line === null ? escape(name) : `${escape(name)} line ${expected.line}`) +
    (expected.field === null ? '' : `, field "${escape(expected.field)}"`);
  return new RegExp(`${where}: .*${expected.message}`);
}

/** The refusal `thumbgate start --manifest name` prints (after `thumbgate start: `), or why there is none. */
async function refusal(name: string): Promise<string> {
  try {
    await loadManifest(name, batchOptionsFromFlags({}));
  } catch (err) {
    if (err instanceof ManifestError) return forTerminal(err.message);
    return `not a manifest error: ${String(err)}`;
  }
  return 'accepted';
}

describe('the malformed-manifest corpus', () => {
  let dir: string;
  let corpus: Record<string, Expected>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'thumbgate-corpus-'));
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

  test('each is refused with its line, field and message', async () => {
    // A generated one too: the size limit (a sparse file, nothing is written).
    const huge = join(dir, 'huge.csv');
    await writeFile(huge, 'id,prompt\n');
    await truncate(huge, 20 * 1024 * 1024 + 1);
    const cases: [string, Expected][] = [
      ...Object.entries(corpus).map(([file, expected]): [string, Expected] => [join(CORPUS, file), expected]),
      [huge, { line: null, field: null, message: 'at most 20 MiB is accepted — split it into several manifests' }],
    ];
    const failures: string[] = [];
    for (const [path, expected] of cases) {
      const name = relative(projectRoot, path);
      const message = await refusal(path);
      const pattern = problemLine(path, expected);
      if (!pattern.test(message)) failures.push(`${name}: expected ${String(pattern)} in\n${message}`);
      else if (!/no briefs were accepted/.test(message)) failures.push(`${name}: not a manifest error`);
    }
    expect(failures).toEqual([]);
  });

  test.each(['bidi-override-prompt.csv', 'latin1.jsonl'])(
    '`thumbgate start` refuses %s with exit 2 and the same message, and starts nothing',
    async (file) => {
      const name = relative(projectRoot, join(CORPUS, file));
      const store = join(dir, `store-${file}`);
      // Nothing listens at that address: reaching for Temporal would be a different error, not exit 2.
      const env = { TEMPORAL_ADDRESS: '127.0.0.1:1', THUMBGATE_STORE_DIR: store, THUMBGATE_OUT_DIR: join(dir, 'out') };
      const run = await thumbgate(['start', '--manifest', name], env);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(problemLine(name, corpus[file]!));
      expect(run.stderr).toContain(`thumbgate start: ${await refusal(name)}`);
      expect(run.stderr).not.toMatch(/cannot reach Temporal/);
      // Nothing was stored (the CLI stores the manifest only after connecting) and nothing was written.
      expect((await readdir(dir)).filter((f) => f !== 'huge.csv')).toEqual([]);
    }
  );
});
