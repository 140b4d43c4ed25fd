import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { detectFormat, loadManifest, parseManifest } from '../../node/manifest/index.js';
import { resolveBatchOptions } from '../../shared/batch-options.js';
import type { ThumbnailBrief } from '../../shared/thumbnail-brief.js';

const options = resolveBatchOptions();
const example = (name: string): string => fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));

const expected: ThumbnailBrief[] = [
  {
    id: 'day-001',
    prompt: 'A shocked gamer, neon "GG" sign behind,\nteal rim light',
    width: 1280,
    height: 720,
    metadata: { channel: 'pixelforge', publishAt: '2026-11-24T15:00:00Z' },
  },
  { id: 'day-002', prompt: 'Steaming ramen, overhead light', width: 720, height: 1280 },
  { id: 'day-003', prompt: 'Backpacker on a cliff', width: 1024, height: 576, metadata: { channel: 'slow-road' } },
  { id: 'day-004', prompt: 'Square album cover, vinyl glow', width: 960, height: 960 },
];

const jsonArray = `[
  {
    "id": "day-001",
    "prompt": "A shocked gamer, neon \\"GG\\" sign behind,\\nteal rim light",
    "metadata": { "channel": "pixelforge", "publishAt": "2026-11-24T15:00:00Z" }
  },
  { "id": "day-002", "prompt": "Steaming ramen, overhead light", "size": "720x1280" },
  { "id": "day-003", "prompt": "Backpacker on a cliff", "width": 1024, "height": 576, "metadata": { "channel": "slow-road" } },
  { "id": "day-004", "prompt": "Square album cover, vinyl glow", "aspect_ratio": "1:1" }
]
`;

const jsonLines = [
  '{"id": "day-001", "prompt": "A shocked gamer, neon \\"GG\\" sign behind,\\nteal rim light", "metadata": {"channel": "pixelforge", "publishAt": "2026-11-24T15:00:00Z"}}',
  '{"id": "day-002", "prompt": "Steaming ramen, overhead light", "size": "720x1280"}',
  '',
  '{"id": "day-003", "prompt": "Backpacker on a cliff", "width": 1024, "height": 576, "metadata": {"channel": "slow-road"}}',
  '{"id": "day-004", "prompt": "Square album cover, vinyl glow", "aspect_ratio": "1:1"}',
].join('\n');

const csv = [
  'id,prompt,size,width,height,aspect_ratio,meta.channel,meta.publishAt',
  'day-001,"A shocked gamer, neon ""GG"" sign behind,',
  'teal rim light",,,,,pixelforge,2026-11-24T15:00:00Z',
  'day-002,"Steaming ramen, overhead light",720x1280,,,,,',
  'day-003,Backpacker on a cliff,,1024,576,,slow-road,',
  'day-004,"Square album cover, vinyl glow",,,,1:1,,',
].join('\r\n');

describe('the three formats', () => {
  test('JSON array, JSON lines and CSV parse to the same briefs', () => {
    expect(parseManifest(jsonArray, { fileName: 'day.json', options })).toEqual(expected);
    expect(parseManifest(jsonLines, { fileName: 'day.jsonl', options })).toEqual(expected);
    expect(parseManifest(csv, { fileName: 'day.csv', options })).toEqual(expected);
  });

  test('a byte-order mark and LF line ends are tolerated', () => {
    expect(parseManifest(`\uFEFF${csv.replace(/\r\n/g, '\n')}`, { fileName: 'day.csv', options })).toEqual(expected);
    expect(parseManifest(`\uFEFF${jsonArray}`, { fileName: 'day.json', options })).toEqual(expected);
    expect(parseManifest(`\uFEFF${jsonLines}`, { fileName: 'day.ndjson', options })).toEqual(expected);
  });

  test('without a known extension the content decides', () => {
    expect(detectFormat('briefs.JSONL', '')).toBe('jsonl');
    expect(detectFormat('briefs.ndjson', '')).toBe('jsonl');
    expect(detectFormat('briefs.CSV', '[')).toBe('csv');
    expect(detectFormat('-', '  \n[{}]')).toBe('json');
    expect(detectFormat('briefs.txt', '{"id": 1}')).toBe('jsonl');
    expect(detectFormat('briefs', '\uFEFFid,prompt')).toBe('csv');
    expect(parseManifest(jsonArray, { fileName: 'stdin', options })).toEqual(expected);
    expect(parseManifest(jsonLines, { fileName: 'briefs.txt', options })).toEqual(expected);
    expect(parseManifest(csv, { fileName: 'briefs', options })).toEqual(expected);
  });

  test('format can be forced', () => {
    expect(parseManifest(jsonLines, { fileName: 'x.json', options, format: 'jsonl' })).toEqual(expected);
  });

  test('the default size comes from the batch options', () => {
    const custom = resolveBatchOptions({ size: { width: 1024, height: 576 } });
    const [brief] = parseManifest('{"id": "a", "prompt": "p"}', { fileName: 'a.jsonl', options: custom });
    expect(brief).toEqual({ id: 'a', prompt: 'p', width: 1024, height: 576 });
  });

  test('prompts and ids are trimmed; CSV metadata stays text; JSON metadata keeps its types', () => {
    const [fromCsv] = parseManifest('id,prompt,meta.episode\n  ep-7 ,  A robot  ,007\n', {
      fileName: 'a.csv',
      options,
    });
    expect(fromCsv).toEqual({ id: 'ep-7', prompt: 'A robot', width: 1280, height: 720, metadata: { episode: '007' } });
    const [fromJson] = parseManifest('{"id":"ep-7","prompt":"A robot","metadata":{"n":7,"live":false,"x":null}}', {
      fileName: 'a.jsonl',
      options,
    });
    expect(fromJson?.metadata).toEqual({ n: 7, live: false, x: null });
    const [noMeta] = parseManifest('{"id":"a","prompt":"p","metadata":{}}', { fileName: 'a.jsonl', options });
    expect(noMeta).toEqual({ id: 'a', prompt: 'p', width: 1280, height: 720 });
  });

  test('CSV header names are case-insensitive and padding rows are skipped', () => {
    const text = 'ID,Prompt,Size\na,A lighthouse,1280x720\n,,\n\nb,A canyon,\n';
    expect(parseManifest(text, { fileName: 'a.csv', options }).map((b) => b.id)).toEqual(['a', 'b']);
  });
});

describe('the example manifests', () => {
  test('demo-manifest.jsonl holds 24 valid, varied briefs', async () => {
    const briefs = await loadManifest(example('demo-manifest.jsonl'), options);
    expect(briefs).toHaveLength(24);
    expect(new Set(briefs.map((b) => b.metadata?.channel)).size).toBeGreaterThanOrEqual(10);
    for (const brief of briefs) {
      expect(brief.id).toMatch(/^2026-11-24-[a-z]+-\d{3}$/);
      expect([brief.width, brief.height]).toEqual([1280, 720]);
      expect(brief.metadata?.publishAt).toMatch(/^2026-11-\d\dT\d\d:00:00Z$/);
      expect(brief.prompt.length).toBeGreaterThan(80);
    }
  });

  test('demo-manifest.csv is the first briefs of the JSONL demo in CSV form', async () => {
    const fromCsv = await loadManifest(example('demo-manifest.csv'), options);
    const fromJsonl = await loadManifest(example('demo-manifest.jsonl'), options);
    expect(fromCsv.length).toBeGreaterThanOrEqual(3);
    expect(fromCsv).toEqual(fromJsonl.slice(0, fromCsv.length));
  });

  test('invalid-manifest.csv reports each deliberate error with its line', async () => {
    const text = await readFile(example('invalid-manifest.csv'), 'utf8');
    let error: unknown;
    try {
      parseManifest(text, { fileName: 'invalid-manifest.csv', options });
    } catch (e) {
      error = e;
    }
    const problems = (error as { problems: { line?: number; field?: string }[] }).problems;
    expect(problems.map((p) => [p.line, p.field])).toEqual([
      [3, 'prompt'],
      [4, 'id'],
      [5, 'id'],
      [6, 'size'],
      [7, 'aspect_ratio'],
      [8, 'height'],
      [9, 'size'],
      [10, undefined],
      [11, undefined],
      [12, 'id'],
      [13, 'id'],
    ]);
  });
});
