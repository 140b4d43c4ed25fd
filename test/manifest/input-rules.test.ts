import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as outputNames from '../../activities/outputs/output-names.js';
import { MAX_MANIFEST_BYTES, decodeManifest } from '../../node/manifest/decode.js';
import { ManifestError, loadManifest, parseManifest, type ManifestProblem } from '../../node/manifest/index.js';
import { resolveBatchOptions } from '../../shared/batch-options.js';
import { BATCH_OUTPUT_NAMES, thumbnailIdProblem } from '../../shared/thumbnail-brief.js';

const options = resolveBatchOptions();

function problemsOf(text: string, fileName: string): ManifestProblem[] {
  try {
    parseManifest(text, { fileName, options });
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestError);
    return (error as ManifestError).problems;
  }
  throw new Error('expected a ManifestError');
}

function decodeProblems(bytes: Uint8Array): ManifestProblem[] {
  const decoded = decodeManifest(bytes);
  if (!decoded.problems) throw new Error('expected decoding problems');
  return decoded.problems;
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('encoding: strict UTF-8', () => {
  test('a Latin-1 byte is refused with its byte offset, line and column', () => {
    // "café" in Latin-1: 0xE9 is byte 18 of the file, column 9 of line 2 (the header is 10 bytes).
    const bytes = Buffer.concat([Buffer.from('id,prompt\na,Un caf'), Buffer.from([0xe9]), Buffer.from(' noir\n')]);
    const problems = decodeProblems(bytes);
    expect(problems).toEqual([
      {
        line: 2,
        message: expect.stringMatching(
          /^byte 0xE9 at byte offset 18 \(column 9\) is not valid UTF-8 — .*Windows-1252\/Latin-1.*save it as UTF-8/
        ),
      },
    ]);
  });

  test('one problem per line, at most ten, the rest counted', () => {
    const lines = Array.from({ length: 13 }, () => Buffer.from([0x61, 0x2c, 0xe9, 0xe8, 0x0a]));
    const problems = decodeProblems(Buffer.concat(lines));
    expect(problems.map((p) => p.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(problems[9]?.message).toMatch(/invalid bytes on 3 more lines after this one/);
  });

  test('overlong, surrogate and truncated sequences are invalid too; a UTF-8 BOM is fine', () => {
    for (const bad of [[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf5, 0x80, 0x80, 0x80], [0x80]]) {
      expect(decodeProblems(Buffer.concat([Buffer.from('id,prompt\nx,'), Buffer.from(bad)]))[0]?.message).toMatch(
        /at byte offset 12 \(column 3\)/
      );
    }
    expect(decodeManifest(utf8('\uFEFFid,prompt\na,café ✓ 🎮\n'))).toEqual({ text: '\uFEFFid,prompt\na,café ✓ 🎮\n' });
  });

  test('UTF-16 and UTF-32, with or without a byte-order mark, are told to save as UTF-8', () => {
    const text = 'id,prompt\na,a volcano\n';
    const le = Buffer.from(text, 'utf16le');
    const be = Buffer.from(le).swap16();
    const cases: [Uint8Array, string][] = [
      [Buffer.concat([Buffer.from([0xff, 0xfe]), le]), 'UTF-16 (little-endian)'],
      [Buffer.concat([Buffer.from([0xfe, 0xff]), be]), 'UTF-16 (big-endian)'],
      [le, 'UTF-16 (little-endian)'],
      [be, 'UTF-16 (big-endian)'],
      [Buffer.from([0xff, 0xfe, 0, 0, 0x69, 0, 0, 0]), 'UTF-32 (little-endian)'],
    ];
    for (const [bytes, name] of cases) {
      expect(decodeProblems(bytes)).toEqual([
        { line: 1, message: expect.stringContaining(`the file is ${name} text, not UTF-8 — save it as UTF-8`) },
      ]);
    }
  });
});

describe('size limit', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'thumbgate-limit-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a manifest over 20 MiB is refused before it is read, naming the limit and the fix', async () => {
    const path = join(dir, 'huge.csv');
    await writeFile(path, 'id,prompt\n');
    await truncate(path, MAX_MANIFEST_BYTES + 1); // sparse: nothing is written
    await expect(loadManifest(path, options)).rejects.toThrow(
      /huge\.csv: the manifest is 20\.0 MiB \(20971521 bytes\); at most 20 MiB is accepted — split it into several manifests/
    );
  });
});

describe('refused characters', () => {
  test('control characters in id, prompt and metadata name the character, its column and the field', () => {
    const text = [
      JSON.stringify({ id: 'a\u0007', prompt: 'p' }),
      JSON.stringify({ id: 'b', prompt: 'a \u001b[31mred\u001b[0m title' }),
      JSON.stringify({ id: 'c', prompt: 'p', metadata: { channel: 'x\u0085y' } }),
      JSON.stringify({ id: 'd', prompt: 'p', metadata: { 'ch\u0000': 'x' } }),
      JSON.stringify({ id: 'e', prompt: 'tabs\tand\nline breaks\r\nare fine', metadata: { note: 'so\there' } }),
    ].join('\n');
    const problems = problemsOf(text, 'x.jsonl');
    expect(problems.map((p) => [p.line, p.field])).toEqual([
      [1, 'id'],
      [2, 'prompt'],
      [3, 'metadata.channel'],
      [4, 'metadata.ch\u0000'],
    ]);
    expect(problems[0]?.message).toBe(
      'id contains U+0007 (control character BEL) at column 2 of the id — control characters and ' +
        'bidirectional overrides/isolates (U+202A–U+202E, U+2066–U+2069) are not accepted; delete it'
    );
    expect(problems[1]?.message).toMatch(
      /^prompt contains U\+001B \(control character ESC\) at column 3 of the prompt \(and 1 more\)/
    );
    expect(problems[2]?.message).toMatch(/^value contains U\+0085 \(C1 control character\) at column 2/);
    expect(problems[3]?.message).toMatch(/^metadata key contains U\+0000 \(control character NUL\) at column 3/);
  });

  test('bidirectional overrides and isolates are refused in every format', () => {
    for (const code of [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]) {
      const c = String.fromCharCode(code);
      const csv = problemsOf(`id,prompt,meta.channel\na,safe ${c}txt.exe,ok\nb,p,x${c}\n`, 'x.csv');
      expect(csv.map((p) => [p.line, p.field])).toEqual([
        [2, 'prompt'],
        [3, 'meta.channel'],
      ]);
      expect(csv[0]?.message).toContain(`U+${code.toString(16).toUpperCase()}`);
      expect(csv[0]?.message).toMatch(/at column 6 of the prompt/);
    }
    // Left-to-right and right-to-left marks (not overrides) and right-to-left text are ordinary text.
    expect(parseManifest('id,prompt\na,שלום \u200f world\n', { fileName: 'x.csv', options })).toHaveLength(1);
  });

  test('a raw control character in a JSON string names the character and column', () => {
    const problems = problemsOf('{"id": "a", "prompt": "x\u0007y"}\n{"id": "b", "prompt": "x\ty"}', 'x.jsonl');
    expect(problems).toEqual([
      {
        line: 1,
        message:
          'not valid JSON: a raw control character U+0007 at column 25 inside a string — control characters are not accepted in briefs; delete it',
      },
      {
        line: 2,
        message: 'not valid JSON: a raw control character U+0009 at column 25 inside a string — write it as \\t',
      },
    ]);
    const array = problemsOf('[\n  {"id": "a", "prompt": "x\u001by"}\n]', 'x.json');
    expect(array).toEqual([{ line: 2, message: expect.stringMatching(/U\+001B at column 27 inside a string/) }]);
  });
});

describe('ids', () => {
  test('unique ignoring case', () => {
    const problems = problemsOf('id,prompt\nEp-1,p\nep-1,q\nEP-1,r\nEp-1,s\n', 'x.csv');
    expect(problems.map((p) => [p.line, p.field])).toEqual([
      [3, 'id'],
      [4, 'id'],
      [5, 'id'],
    ]);
    expect(problems[0]?.message).toBe(
      'id "ep-1" differs from "Ep-1" (line 2) only in upper/lower case — ids name output files and macOS and ' +
        'Windows file systems ignore case, so ids must differ by more than case'
    );
    expect(problems[2]?.message).toMatch(/^duplicate id "Ep-1" \(also on line 2\)/);
  });

  test('at most 64 characters', () => {
    expect(thumbnailIdProblem('x'.repeat(64))).toBeUndefined();
    expect(thumbnailIdProblem('x'.repeat(65))).toMatch(/\(it has 65\) — use .*at most 64 characters/);
  });

  test('names of batch outputs and Windows devices are refused, ignoring case', () => {
    for (const id of [
      'contact-sheet',
      'Contact-Sheet.jpg',
      'results',
      'results.jsonl',
      'LEDGER',
      'summary.json',
      'contact',
    ]) {
      expect(thumbnailIdProblem(id)).toMatch(/is the name of a batch output .* — rename it, e.g\. ".*-1"$/);
    }
    for (const id of ['con', 'NUL', 'com1', 'Lpt9'])
      expect(thumbnailIdProblem(id)).toMatch(/device name Windows refuses/);
    for (const id of ['contacts', 'results-2026', 'console', 'summary.jpg2'])
      expect(thumbnailIdProblem(id)).toBeUndefined();
    const problems = problemsOf('{"id": "Contact-Sheet", "prompt": "p"}', 'x.jsonl');
    expect(problems.map((p) => [p.line, p.field])).toEqual([[1, 'id']]);
  });

  test('the reserved names cover every name the outputs writer uses', () => {
    const used: string[] = Object.values(outputNames as Record<string, unknown>).filter(
      (v): v is string => typeof v === 'string'
    );
    expect(used.length).toBeGreaterThanOrEqual(6);
    expect([...BATCH_OUTPUT_NAMES].sort()).toEqual(expect.arrayContaining(used.sort()));
    // A winner is `<id>.jpg`: no allowed id can produce another output's name.
    for (const name of used) {
      const stem = name.replace(/\.jpg$/, '');
      if (name.endsWith('.jpg')) expect(thumbnailIdProblem(stem)).toBeDefined();
    }
  });
});

describe('metadata', () => {
  test('__proto__, constructor and prototype keys are refused, not dropped', () => {
    const json = problemsOf(
      [
        '{"id": "a", "prompt": "p", "metadata": {"__proto__": "x", "ok": 1}}',
        '{"id": "b", "prompt": "p", "metadata": {"constructor": "x"}}',
        '{"id": "c", "prompt": "p", "metadata": {"prototype": {"polluted": true}}}',
      ].join('\n'),
      'x.jsonl'
    );
    expect(json.map((p) => [p.line, p.field])).toEqual([
      [1, 'metadata.__proto__'],
      [2, 'metadata.constructor'],
      [3, 'metadata.prototype'],
    ]);
    expect(json[0]?.message).toBe(
      'metadata key "__proto__" is not accepted (__proto__, constructor, prototype are reserved) — rename it, e.g. "proto_"'
    );
    const csv = problemsOf('id,prompt,meta.__proto__,meta.constructor\na,p,x,y\n', 'x.csv');
    expect(csv.map((p) => [p.line, p.field])).toEqual([
      [1, 'meta.__proto__'],
      [1, 'meta.constructor'],
    ]);
  });

  test('at most 2 KB per brief as JSON, naming the largest entry', () => {
    const ok = JSON.stringify({ id: 'a', prompt: 'p', metadata: { n: 'x'.repeat(2048 - 8) } });
    expect(parseManifest(ok, { fileName: 'x.jsonl', options })).toHaveLength(1);
    const json = problemsOf(JSON.stringify({ id: 'a', prompt: 'p', metadata: { n: 'x'.repeat(2048 - 7) } }), 'x.jsonl');
    expect(json).toEqual([
      {
        line: 1,
        field: 'metadata',
        message:
          'metadata is 2049 bytes as JSON; at most 2048 bytes per brief are accepted (the largest entry is ' +
          'metadata.n, 2047 bytes) — keep metadata to routing values such as channel and publish time',
      },
    ]);
    // Bytes, not characters: 700 three-byte characters are 2,100 bytes.
    const csv = problemsOf(`id,prompt,meta.channel,meta.notes\na,p,gaming,${'€'.repeat(700)}\n`, 'x.csv');
    expect(csv.map((p) => [p.line, p.field])).toEqual([[2, 'meta.notes']]);
  });
});
