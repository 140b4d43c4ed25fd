/**
 * Parsing in bounded time and errors that do not quote what they read. A CSV header of thousands of
 * empty columns over thousands of rows used to be read once per empty column (12 s for 117 KiB; hours
 * for the 20 MiB allowed, on the worker's only thread); and every echo of a header cell, a JSON line or
 * a value could carry the content of a file that was never a manifest.
 */
import { ManifestError, parseManifest, type ManifestProblem } from '../../node/manifest/index.js';
import { MAX_CSV_COLUMNS, MAX_CSV_LINE_CHARS } from '../../node/manifest/csv.js';
import { resolveBatchOptions } from '../../shared/batch-options.js';

const options = resolveBatchOptions();

function refusal(text: string, fileName: string): ManifestError {
  try {
    parseManifest(text, { fileName, options });
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestError);
    return error as ManifestError;
  }
  throw new Error('expected a ManifestError');
}

const lines = (problems: ManifestProblem[]): (number | undefined)[] => problems.map((p) => p.line);

describe('CSV in bounded time', () => {
  test('thousands of empty header columns over thousands of rows (117 KiB) stop at the header', () => {
    // The shape that took 12.3 s: 60,000 empty columns, 30,000 rows of one cell.
    const text = `id,prompt${','.repeat(60_000)}\n${'x\n'.repeat(30_000)}`;
    expect(text.length).toBeGreaterThan(117 * 1024);
    const err = refusal(text, 'wide.csv');
    expect(err.problems).toEqual([
      {
        line: 1,
        message: expect.stringMatching(
          new RegExp(
            `^the row has more than ${MAX_CSV_COLUMNS} cells; a manifest has at most ${MAX_CSV_COLUMNS} columns`
          )
        ),
      },
    ]);
  });

  test('the same at several MiB, and a header of commas alone', () => {
    const text = `id,prompt${','.repeat(3 * 1024 * 1024)}\n${'x,y\n'.repeat(500_000)}`;
    expect(text.length).toBeGreaterThan(4 * 1024 * 1024);
    expect(lines(refusal(text, 'wide.csv').problems)).toEqual([1]);
    expect(lines(refusal(','.repeat(5 * 1024 * 1024), 'commas.csv').problems)).toEqual([1]);
  });

  test('within the column limit, unnamed columns are judged in one pass over the cells', () => {
    // 500 columns × 5,000 rows: one scan of the rows per unnamed column would be 2.5 million lookups.
    const pad = ','.repeat(MAX_CSV_COLUMNS - 12);
    const rows = Array.from({ length: 5_000 }, (_, i) => `b-${i},a prompt${pad}`);
    rows[3_000] = `b-3000,a prompt${pad.slice(1)},stray`;
    const err = refusal([`id,prompt${pad}`, ...rows].join('\n'), 'padded.csv');
    expect(err.problems).toEqual([
      { line: 1, message: `column ${MAX_CSV_COLUMNS - 10} has no name in the header row — name it or delete it` },
    ]);
    // The same file without the stray cell is fine: padding columns nobody uses are ignored.
    rows[3_000] = `b-3000,a prompt${pad}`;
    expect(parseManifest([`id,prompt${pad}`, ...rows].join('\n'), { fileName: 'p.csv', options })).toHaveLength(5_000);
  });

  test('a line past the limit is refused with its line number and the fix', () => {
    const text = `id,prompt\na,fine\nb,${'y'.repeat(MAX_CSV_LINE_CHARS)}\nc,fine\n`;
    expect(refusal(text, 'long.csv').problems).toEqual([
      {
        line: 3,
        message: expect.stringMatching(
          new RegExp(`^the line is longer than ${MAX_CSV_LINE_CHARS} characters; .* split the text over several rows$`)
        ),
      },
    ]);
  });
});

test('a file with a problem on every line lists the first hundred, and counts the rest', () => {
  const err = refusal(`id,prompt\n${'a\n'.repeat(5_000)}`, 'x.csv');
  // Only one past the listed problems is kept as an object; the rest are counted.
  expect(err.problems).toHaveLength(101);
  const listed = err.message.split('\n').slice(1);
  expect(listed).toHaveLength(101);
  expect(err.message).toMatch(/^x\.csv: 5000 problems, no briefs were accepted/);
  expect(listed[100]).toBe('  … and 4900 more problems — fix these first, or check the file is a manifest');
});

test('megabytes of bad JSON lines stop being parsed once the listed problems are found', () => {
  // 20 MiB of these took two minutes of CPU and 3.6 GB: every line became a kept, sorted problem object.
  const err = refusal('{\n'.repeat(4 * 1024 * 1024), 'x.jsonl');
  expect(err.problems).toHaveLength(101);
  const listed = err.message.split('\n').slice(1);
  expect(listed).toHaveLength(101);
  expect(err.message).toMatch(/^x\.jsonl: at least 101 problems, no briefs were accepted/);
  expect(listed[100]).toBe(
    `  … and 1 more problem, ${4 * 1024 * 1024 - 101} more lines not checked — fix these first, or check the file is a manifest`
  );
});

describe('errors quote no content', () => {
  const SECRET = 'sk-live-canary-8f3a2b1c9d7e6f5a4b3c';
  const environ = [`HOME=/root`, `SEGMIND_API_KEY=${SECRET}`, 'PATH=/usr/bin'].join('\0');

  test('an environment read as CSV: the header cells are not echoed', () => {
    const err = refusal(`${environ}\n`, 'environ');
    expect(err.message).not.toContain(SECRET);
    expect(err.message).not.toContain('SEGMIND_API_KEY');
    expect(err.problems[0]?.field).toMatch(/^\(\d+ characters, not shown: not a field name\)$/);
    // A misspelt column is still named, with the suggestion.
    expect(refusal('id,promt\na,b\n', 'x.csv').message).toContain('field "promt": unknown field — did you mean');
  });

  test('JSON syntax errors do not carry V8’s snippet of the text', () => {
    for (const [text, name] of [
      [`SEGMIND_API_KEY=${SECRET}\n`, 'environ.jsonl'],
      [`{"id": ${SECRET}}\n`, 'x.jsonl'],
      [`[${SECRET}]`, 'x.json'],
    ] as const) {
      const err = refusal(text, name);
      expect(err.message).toMatch(/not valid JSON \(Unexpected token '.'\)/);
      expect(err.message).not.toContain(SECRET);
    }
  });

  test('values and unknown JSON keys are shown only when short and plain', () => {
    const err = refusal(
      [
        JSON.stringify({ id: 'a', prompt: 'p', size: SECRET }),
        JSON.stringify({ id: 'b', prompt: 'p', [`KEY=${SECRET}`]: 1 }),
        JSON.stringify({ id: { token: SECRET }, prompt: 'p' }),
        JSON.stringify({ id: `x${SECRET.repeat(3)}`, prompt: 'p' }),
        JSON.stringify(SECRET),
        JSON.stringify({ id: 'c', prompt: 'p', size: '12x' }),
      ].join('\n'),
      'x.jsonl'
    );
    expect(err.message).not.toContain(SECRET);
    expect(err.message).toContain('size must be WIDTHxHEIGHT in pixels such as "1280x720", got text of 35 characters');
    expect(err.message).toContain('id must be a string, got an object');
    expect(err.message).toContain('id cannot be used as a file name (it has 106)');
    expect(err.message).toContain('each brief must be an object like {"id": ..., "prompt": ...}, got text of 35');
    expect(err.message).toContain('got "12x"');
  });

  test('an invalid id or a CSV metadata key is not quoted when it is not plain', () => {
    const key = 'SG_0123456789abcdef0123456789abcdef';
    const csv = refusal(`id,prompt,meta.SEGMIND_API_KEY=${key}\na,p,${'x'.repeat(3000)}\n`, 'x.csv');
    expect(csv.message).toContain('metadata is');
    expect(csv.message).not.toContain('SG_0123');
    const jsonl = refusal(`${JSON.stringify({ id: `SEGMIND_API_KEY=${key}`, prompt: 'p' })}\n`, 'x.jsonl');
    expect(jsonl.message).toContain('id text of 51 characters cannot be used as a file name');
    expect(jsonl.message).not.toContain('SG_0123');
  });
});
