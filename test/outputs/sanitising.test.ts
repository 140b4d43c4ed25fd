/**
 * Provider text in the outputs: control characters must not break contact-sheet.jpg (librsvg rejects
 * an SVG holding one), a sheet that cannot be drawn must not fail the batch, and ledger.csv cells must
 * not run as spreadsheet formulas.
 */
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { createOutputActivities, type BatchSummary } from '../../activities/outputs/index.js';
import { renderContactSheet } from '../../activities/outputs/contact-sheet-image.js';
import { escapeMarkup } from '../../activities/outputs/escape.js';
import { csvText } from '../../activities/outputs/ledger-csv.js';
import { BatchBuilder, COLOURS, standardBatch, tempRoot, type Fixture } from './fixtures.js';
import { parseCsv } from './helpers.js';

const CONTROL_REASON =
  'ProviderServerError: upstream said \u0001\u0002\u001b[31mboom\u001b[0m\u0000 \u0085\u009b done\ufffe';

async function write(f: Fixture) {
  return createOutputActivities({ store: f.store, outRoot: f.outRoot }).writeBatchOutputs({
    batchId: 'batch-7',
    manifest: f.manifest,
    rerolls: f.rerolls,
    cost: f.cost,
    workflowId: 'wf',
  });
}

async function summaryOf(dir: string): Promise<BatchSummary> {
  return JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as BatchSummary;
}

test('escapeMarkup drops the characters XML cannot hold and escapes the rest', () => {
  expect(escapeMarkup(CONTROL_REASON)).toBe('ProviderServerError: upstream said [31mboom[0m  done');
  expect(escapeMarkup('tab\tnew\nline <&>')).toBe('tab\tnew\nline &lt;&amp;&gt;');
  expect(escapeMarkup('emoji 😀 kept, lone \ud800 dropped')).toBe('emoji 😀 kept, lone  dropped');
  expect(escapeMarkup('SALE \u202eWON\u202c \u2066x\u2069 नमस्ते')).toBe('SALE WON x नमस्ते');
});

test('the contact-sheet image draws text holding control characters (librsvg would reject the SVG)', async () => {
  const sheet = await renderContactSheet(
    { title: `Batch with ${CONTROL_REASON}`, lines: [CONTROL_REASON] },
    [
      {
        id: 'delta',
        status: 'failed',
        caption: `failed: ${CONTROL_REASON}`,
        tiles: [{ phase: 'draft', winner: false }],
      },
    ],
    true // draw text even where this machine has no fonts: the SVG is parsed either way
  );
  expect((await sharp(sheet).metadata()).format).toBe('jpeg');
});

describe('writeBatchOutputs with hostile provider text', () => {
  let f: Fixture;
  let dir: string;
  beforeAll(async () => {
    const { root, store, outRoot } = await tempRoot();
    const b = new BatchBuilder(store);
    b.brief('alpha');
    await b.result('alpha', 'draft', [
      { colour: COLOURS.green, score: 0.8, requestId: '=HYPERLINK("http://evil.example","x")' },
      { colour: COLOURS.grey, score: 0.3, requestId: '-2+3' },
      { colour: COLOURS.grey, score: 0.2, requestId: '@SUM(A1)' },
      { colour: COLOURS.grey, score: 0.1, requestId: '\tTAB' },
    ]);
    b.brief('delta');
    await b.failedResult('delta', 'draft', CONTROL_REASON, true);
    f = await b.finish(root, outRoot);
    ({ outputDir: dir } = await write(f));
  });
  afterAll(() => rm(f.root, { recursive: true, force: true }));

  test('a control character in a failure reason leaves every output written, the image included', async () => {
    const summary = await summaryOf(dir);
    expect(summary.contactSheet).toMatchObject({ image: 'contact-sheet.jpg', imageRows: 2 });
    expect(summary.contactSheet.imageError).toBeUndefined();
    expect((await sharp(join(dir, 'contact-sheet.jpg')).metadata()).format).toBe('jpeg');
    const html = await readFile(join(dir, 'contact-sheet.html'), 'utf8');
    // eslint-disable-next-line no-control-regex
    expect(html).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/);
    expect(html).toContain('boom');
  });

  test("ledger.csv prefixes formula-like text cells with ' and leaves numbers alone", async () => {
    const rows = parseCsv(await readFile(join(dir, 'ledger.csv'), 'utf8'));
    const header = rows[0]!;
    const col = (name: string) => header.indexOf(name);
    const requestIds = rows.slice(1).map((r) => r[col('request_id')]);
    expect(requestIds).toEqual(
      expect.arrayContaining(['\'=HYPERLINK("http://evil.example","x")', "'-2+3", "'@SUM(A1)", "'\tTAB"])
    );
    for (const row of rows.slice(1)) {
      for (const name of ['candidate_index', 'attempt', 'gpu_seconds', 'cost_usd']) {
        expect(row[col(name)]).toMatch(/^\d+(\.\d+)?$/);
      }
    }
  });
});

test('csvText neutralises = + - @ tab and CR at the start only', () => {
  expect(['=1', '+1', '-1', '@x', '\tx', '\rx'].map(csvText)).toEqual(["'=1", "'+1", "'-1", "'@x", "'\tx", "'\rx"]);
  expect(['req-1', 'a=b', '', undefined].map(csvText)).toEqual(['req-1', 'a=b', '', undefined]);
});

test('a contact-sheet image that cannot be written is noted in summary.json; the rest of the folder is complete', async () => {
  const f = await standardBatch();
  try {
    const dir = join(f.outRoot, 'batch-7');
    // A folder where the JPEG goes: writing it fails, as a librsvg or memory failure would.
    await mkdir(join(dir, 'contact-sheet.jpg', 'blocked'), { recursive: true });
    await writeFile(join(dir, 'contact-sheet.jpg', 'blocked', 'x'), 'x');
    const { winners } = await write(f);
    expect(winners).toBe(3);
    const summary = await summaryOf(dir);
    expect(summary.contactSheet.image).toBeNull();
    expect(summary.contactSheet.imageRows).toBe(0);
    expect(summary.contactSheet.imageError).toMatch(/contact-sheet\.jpg could not be drawn/);
    for (const file of ['results.jsonl', 'ledger.csv', 'contact-sheet.html', 'alpha.jpg', 'bravo.jpg', 'charlie.jpg']) {
      await expect(stat(join(dir, file))).resolves.toBeDefined();
    }
    const html = await readFile(join(dir, 'contact-sheet.html'), 'utf8');
    expect(html).toMatch(/contact-sheet\.jpg could not be drawn/);
    expect(html).not.toContain('href="contact-sheet.jpg"');
  } finally {
    await rm(f.root, { recursive: true, force: true });
  }
});
