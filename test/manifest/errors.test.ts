import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManifestError, loadManifest, parseManifest, type ManifestProblem } from '../../node/manifest/index.js';
import { resolveBatchOptions, type BatchOptions } from '../../shared/batch-options.js';

const options = resolveBatchOptions();

function problemsOf(text: string, fileName: string, opts: BatchOptions = options): ManifestProblem[] {
  try {
    parseManifest(text, { fileName, options: opts });
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestError);
    return (error as ManifestError).problems;
  }
  throw new Error('expected a ManifestError');
}

const where = (problems: ManifestProblem[]): [number | undefined, string | undefined][] =>
  problems.map((p) => [p.line, p.field]);

describe('manifest errors', () => {
  test('the message lists every problem as "file line N, field": what and how to fix', () => {
    const text = 'id,prompt\nok-1,A volcano\nok-2,A glacier\nbad,   \n';
    expect(() => parseManifest(text, { fileName: 'briefs.csv', options })).toThrow(
      'briefs.csv: 1 problem, no briefs were accepted:\n' +
        '  briefs.csv line 4, field "prompt": empty prompt — write the thumbnail\'s description'
    );
  });

  test('nothing is returned when any row is bad, and all problems are reported', () => {
    const text = ['id,prompt', 'a,fine', 'b,', 'c,fine', ',no id', 'e,fine'].join('\n');
    expect(where(problemsOf(text, 'x.csv'))).toEqual([
      [3, 'prompt'],
      [5, 'id'],
    ]);
  });

  test('missing and empty required fields', () => {
    const text = [
      '{"prompt": "no id"}',
      '{"id": "no-prompt"}',
      '{"id": "  ", "prompt": "  "}',
      '{"id": 7, "prompt": 7}',
    ].join('\n');
    const problems = problemsOf(text, 'x.jsonl');
    expect(where(problems)).toEqual([
      [1, 'id'],
      [2, 'prompt'],
      [3, 'id'],
      [3, 'prompt'],
      [4, 'id'],
      [4, 'prompt'],
    ]);
    expect(problems[0]?.message).toMatch(/missing id/);
    expect(problems[1]?.message).toMatch(/missing prompt/);
    expect(problems[4]?.message).toMatch(/id must be a string/);
  });

  test('ids must be safe file names', () => {
    const bad = ['../up', '.hidden', '-dash', 'a/b', 'a b', 'x'.repeat(65), 'a..b'];
    const text = ['id,prompt', ...bad.map((id) => `${id},p`), `${'y'.repeat(64)},p`].join('\n');
    const problems = problemsOf(text, 'x.csv');
    expect(where(problems)).toEqual(bad.map((_, i) => [i + 2, 'id']));
    expect(problems[0]?.message).toMatch(/cannot be used as a file name — use letters, digits/);
  });

  test('duplicate ids name both lines', () => {
    const text = '[\n  {"id": "a", "prompt": "p"},\n  {"id": "b", "prompt": "p"},\n  {"id": "a", "prompt": "q"}\n]';
    const problems = problemsOf(text, 'x.json');
    expect(where(problems)).toEqual([[4, 'id']]);
    expect(problems[0]?.message).toMatch(/duplicate id "a" \(also on line 2\)/);
  });

  test('unknown fields are rejected with the accepted list and a suggestion', () => {
    const json = problemsOf('{"id": "a", "promt": "p", "prompt": "p", "colour": "red"}', 'x.jsonl');
    expect(where(json)).toEqual([
      [1, 'promt'],
      [1, 'colour'],
    ]);
    expect(json[0]?.message).toBe(
      'unknown field — did you mean "prompt"? Accepted fields: id, prompt, size, width, height, aspect_ratio, metadata; ' +
        'put any other values inside "metadata"'
    );
    expect(json[1]?.message).toMatch(/^unknown field\. Accepted fields/);
    const csv = problemsOf('id,promt,metadata\na,p,x\n', 'x.csv');
    expect(where(csv)).toEqual([
      [1, 'promt'],
      [1, 'metadata'],
    ]);
    expect(csv[1]?.message).toContain('meta.<key>');
  });

  test('size problems name the field and the nearest sizes that work', () => {
    const text = [
      '{"id": "a", "prompt": "p", "size": "1000x700"}',
      '{"id": "b", "prompt": "p", "size": "big"}',
      '{"id": "c", "prompt": "p", "width": 1280}',
      '{"id": "d", "prompt": "p", "width": "1280", "height": 720}',
      '{"id": "e", "prompt": "p", "aspect_ratio": "16:10"}',
      '{"id": "f", "prompt": "p", "size": "1280x720", "aspect_ratio": "16:9"}',
      '{"id": "g", "prompt": "p", "width": 1000, "height": 720}',
      '{"id": "h", "prompt": "p", "size": "1280x720"}',
    ].join('\n');
    const problems = problemsOf(text, 'x.jsonl');
    expect(where(problems)).toEqual([
      [1, 'size'],
      [2, 'size'],
      [3, 'height'],
      [4, 'width'],
      [5, 'aspect_ratio'],
      [6, 'size'],
      [7, 'width'],
    ]);
    expect(problems[0]?.message).toMatch(/multiples of 16.*try 1024x688 or 1168x784/);
    expect(problems[1]?.message).toMatch(/WIDTHxHEIGHT.*"1280x720"/);
    expect(problems[4]?.message).toMatch(/one of 1:1, 16:9/);
    expect(problems[5]?.message).toMatch(/one way/);
    expect(problems[6]?.message).toMatch(
      /^flux-schnell makes sides from 256 to 2048 pixels in multiples of 16, got 1000x720/
    );
  });

  test('an aspect-ratio re-roll model rejects shapes more than 3% off every ratio it offers', () => {
    const problems = problemsOf('{"id": "a", "prompt": "p", "size": "1280x640"}', 'x.jsonl');
    expect(where(problems)).toEqual([[1, 'size']]);
    expect(problems[0]?.message).toMatch(
      /^flux-1\.1-pro only makes the aspect ratios 1:1, .*; 1280x640 is 12\.5% off the nearest \(16:9\), more than 3% — try \d+x\d+ or \d+x\d+$/
    );
  });

  test('prompts longer than both models accept are rejected', () => {
    const problems = problemsOf(`{"id": "a", "prompt": "${'x'.repeat(2_001)}"}`, 'x.jsonl');
    expect(where(problems)).toEqual([[1, 'prompt']]);
    expect(problems[0]?.message).toBe(
      'prompt is 2001 characters; flux-schnell and flux-1.1-pro accept at most 2000 — shorten it'
    );
  });

  test('metadata must be an object of scalars', () => {
    const text = [
      '{"id": "a", "prompt": "p", "metadata": "gaming"}',
      '{"id": "b", "prompt": "p", "metadata": {"tags": ["x"], "ok": 1}}',
    ].join('\n');
    expect(where(problemsOf(text, 'x.jsonl'))).toEqual([
      [1, 'metadata'],
      [2, 'metadata.tags'],
    ]);
  });

  test('syntax errors point at their line', () => {
    const jsonl = problemsOf('{"id": "a", "prompt": "p"}\n{"id": "b", "prompt": }\n[1]', 'x.jsonl');
    expect(where(jsonl)).toEqual([
      [2, undefined],
      [3, undefined],
    ]);
    expect(jsonl[0]?.message).toMatch(/^not valid JSON .*each line must be one complete brief object$/);
    const json = problemsOf('[\n  {"id": "a", "prompt": "p"},\n  {"id": "b" "prompt": "p"}\n]', 'x.json');
    expect(where(json)).toEqual([[3, undefined]]);
    expect(where(problemsOf('{"id": "a", "prompt": "p"}', 'x.json'))).toEqual([[1, undefined]]);
  });

  test('CSV structure problems point at the row', () => {
    const unclosed = problemsOf(
      ['id,prompt', 'a,fine', 'b,"unterminated', 'c,still inside the quotes'].join('\n'),
      'x.csv'
    );
    expect(where(unclosed)).toEqual([[3, undefined]]);
    expect(unclosed[0]?.message).toMatch(/never closed/);

    // A quote that closes lines later shows where it opened.
    const late = problemsOf(['id,prompt', 'a,"opened here', 'b,A 12" record', 'c,fine'].join('\n'), 'x.csv');
    expect(where(late)).toEqual([[3, undefined]]);
    expect(late[0]?.message).toMatch(/after a closing quote .*the quoted cell opened on line 2/);

    const rows = problemsOf(
      ['id,prompt', 'b,A knight, a dragon', 'c,A 12" record', 'd,"closed" then', 'e,ok'].join('\n'),
      'x.csv'
    );
    expect(where(rows)).toEqual([
      [2, undefined],
      [3, undefined],
      [4, undefined],
    ]);
    expect(rows[0]?.message).toMatch(/2 columns — quote cells that contain commas/);
    expect(rows[1]?.message).toMatch(/stray double quote/);
    expect(rows[2]?.message).toMatch(/after a closing quote/);
  });

  test('CSV header problems are reported once, at line 1', () => {
    expect(where(problemsOf('id,prompt,prompt\na,p,q\n', 'x.csv'))).toEqual([[1, 'prompt']]);
    expect(where(problemsOf('id,prompt,meta.\na,p,q\n', 'x.csv'))).toEqual([[1, 'meta.']]);
    expect(where(problemsOf('id,prompt,\na,p,q\n', 'x.csv'))).toEqual([[1, undefined]]);
    // An unnamed but empty trailing column (spreadsheet export) is fine.
    expect(parseManifest('id,prompt,\na,p,\n', { fileName: 'x.csv', options })).toHaveLength(1);
  });

  test('an empty manifest is an error in every format', () => {
    for (const [text, fileName] of [
      ['', 'x.csv'],
      ['id,prompt\n', 'x.csv'],
      ['[]', 'x.json'],
      ['\n\n', 'x.jsonl'],
      ['\uFEFF', 'x'],
    ] as const) {
      const problems = problemsOf(text, fileName);
      expect(problems).toHaveLength(1);
      expect(problems[0]?.line).toBeUndefined();
      expect(problems[0]?.message).toMatch(/has no briefs/);
    }
  });

  test('a .json file must hold an array', () => {
    const problems = problemsOf('{"id": "a", "prompt": "p"}\n', 'x.json');
    expect(problems[0]?.message).toMatch(/must be an array.*\.jsonl/);
  });

  test('validation follows the batch models', () => {
    const dev = resolveBatchOptions({ draftModel: 'flux-dev', rerollModel: 'flux-dev' });
    // flux-dev is pixel-sized on both sides, so a shape no ratio model offers is fine.
    expect(
      parseManifest('{"id": "a", "prompt": "p", "size": "1280x640"}', { fileName: 'x.jsonl', options: dev })
    ).toEqual([{ id: 'a', prompt: 'p', width: 1280, height: 640 }]);
  });
});

describe('loadManifest', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'thumbgate-manifest-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a missing file is a clear ManifestError', async () => {
    const path = join(dir, 'nope.csv');
    await expect(loadManifest(path, options)).rejects.toThrow(ManifestError);
    await expect(loadManifest(path, options)).rejects.toThrow(`${path}: 1 problem`);
    await expect(loadManifest(path, options)).rejects.toThrow(/file not found .*check the --manifest path/);
  });

  test('a directory is a clear ManifestError', async () => {
    await expect(loadManifest(dir, options)).rejects.toThrow(/is a directory — pass the manifest file itself/);
  });
});
