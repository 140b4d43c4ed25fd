/**
 * The requested-text check ("text read vs requested") in the written outputs: contact-sheet.html shows
 * it per candidate, escaped; results.jsonl carries it with each candidate's score points; a check that
 * was not measured is said as such and costs the candidate nothing. The fixture's scores are made by
 * the real `combineScore` (test/outputs/fixtures.ts `textCheckBatch`), and the expected numbers and
 * escaped strings below are worked out by hand, not by the writer's own functions.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createOutputActivities, type ResultsLine } from '../../activities/outputs/index.js';
import {
  BATCH_ID,
  DEVANAGARI,
  HOSTILE_READ,
  HOSTILE_REQUESTED,
  NOT_READ_REASON,
  textCheckBatch,
  type Fixture,
} from './fixtures.js';

/** HOSTILE_REQUESTED (`<b>"&'`) and HOSTILE_READ (`</td><script>x</script>`) as HTML text, by hand. */
const REQUESTED_HTML = '&lt;b&gt;&quot;&amp;&#39;';
const READ_HTML = '&lt;/td&gt;&lt;script&gt;x&lt;/script&gt;';

/** Weights of the fixture's scorer (aesthetic, alignment, technical, text). */
const W = { aesthetic: 0.4, alignment: 0.4, technical: 0.2, text: 0.3 };

describe('the requested-text check in the written outputs', () => {
  let f: Fixture;
  let dir: string;
  let html: string;
  let lines: Map<string, ResultsLine>;

  beforeAll(async () => {
    f = await textCheckBatch();
    ({ outputDir: dir } = await createOutputActivities({ store: f.store, outRoot: f.outRoot }).writeBatchOutputs({
      batchId: BATCH_ID,
      manifest: f.manifest,
      rerolls: [],
      cost: f.cost,
      workflowId: 'wf',
    }));
    html = await readFile(join(dir, 'contact-sheet.html'), 'utf8');
    const text = await readFile(join(dir, 'results.jsonl'), 'utf8');
    lines = new Map(
      text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as ResultsLine)
        .map((l) => [l.id, l])
    );
  });
  afterAll(() => rm(f.root, { recursive: true, force: true }));

  /** The HTML of one thumbnail's row. */
  function row(id: string): string {
    const start = html.indexOf(`id="t-${id}"`);
    expect(start).toBeGreaterThan(0);
    return html.slice(start, html.indexOf('</section>', start));
  }

  /** The caption of each candidate in a row, in candidate order. */
  function captions(id: string): string[] {
    return [...row(id).matchAll(/<figcaption>([\s\S]*?)<\/figcaption>/g)].map((m) => m[1]!);
  }

  function line(id: string): ResultsLine {
    const l = lines.get(id);
    expect(l).toBeDefined();
    return l!;
  }

  test('the fixture scores are real weighted means (so the checks below are not circular)', () => {
    // By hand: (0.4·0.5 + 0.4·0.6 + 0.2·0.5 + 0.3·1) / 1.3 and (0.4·0.7 + 0.4·0.6 + 0.2·0.5) / 1.0; a
    // text fidelity of 0 is misspelt text, a fault that takes 1 off.
    expect(line('golf').candidates.map((c) => c.score)).toEqual([
      expect.closeTo(0.556 / 1.3 - 1, 12),
      expect.closeTo(0.84 / 1.3, 12),
      expect.closeTo(0.3 / 1.3 - 1, 12),
    ]);
    expect(line('hotel').candidates.map((c) => c.score)).toEqual([expect.closeTo(0.62, 12), expect.closeTo(0.5, 12)]);
  });

  test("contact-sheet.html shows each candidate's text read against the text requested", () => {
    const [c0, c1, c2] = captions('golf');
    expect(c0).toContain(
      `text 0.00 (&quot;${REQUESTED_HTML}&quot; read as &quot;${READ_HTML}&quot;, misspelt (fidelity below 0.575): a fault, −1.000)`
    );
    expect(c1).toContain(`text 1.00 (&quot;${REQUESTED_HTML}&quot; read as &quot;${REQUESTED_HTML}&quot;)`);
    expect(c2).toContain(
      `text 0.00 (&quot;${REQUESTED_HTML}&quot; read as nothing, misspelt (fidelity below 0.575): a fault, −1.000)`
    );
    // The winner is the candidate that read the text.
    expect(c1).toContain('★ winner');
    // The tooltip of every measured value includes the fidelity.
    expect(row('golf')).toMatch(/<figure class="draft winner" title="[^"]*\btext\.fidelity=1\.0000\b/);
  });

  test('hostile requested and read text is escaped everywhere in contact-sheet.html, never raw', () => {
    expect(html).not.toContain(HOSTILE_REQUESTED);
    expect(html).not.toContain(HOSTILE_READ);
    expect(html).not.toMatch(/<script/i);
    // The row holds no table, so a raw `</td>` would be the OCR text breaking out of its caption.
    expect(row('golf')).not.toContain('</td>');
    // The why line quotes both texts too.
    expect(row('golf')).toContain(
      `won on text +1.231 (&quot;${REQUESTED_HTML}&quot; vs &quot;${READ_HTML}&quot; for &quot;${REQUESTED_HTML}&quot;; draft #0 misspelt it: a fault)`
    );
  });

  test("results.jsonl carries each candidate's text check, and the why names text when text decided", () => {
    const golf = line('golf');
    expect(golf.candidates.map((c) => c.text)).toEqual([
      { requested: HOSTILE_REQUESTED, measured: true, read: HOSTILE_READ, fidelity: 0 },
      { requested: HOSTILE_REQUESTED, measured: true, read: HOSTILE_REQUESTED, fidelity: 1 },
      { requested: HOSTILE_REQUESTED, measured: true, read: '', fidelity: 0 },
    ]);
    expect(golf.winner).toMatchObject({ phase: 'draft', candidateIndex: 1 });
    expect(golf.winner!.components).toMatchObject({ 'text.fidelity': 1 });
    // Margin (0.84 − 0.556) / 1.3 + 1 (draft #0's misspelt text is a fault) = 1.218; text 0.3·(1 − 0) / 1.3
    // + 1 = +1.231; aesthetic and alignment each 0.4·(−0.02) / 1.3 = −0.006 for the runner-up.
    expect(golf.winner!.why).toMatch(
      new RegExp(
        '^draft #1 beat draft #0 by 1\\.218 \\(0\\.646 vs -0\\.572\\): ' +
          `won on text \\+1\\.231 \\("${escapeRegExp(HOSTILE_REQUESTED)}" vs "${escapeRegExp(HOSTILE_READ)}" for "${escapeRegExp(HOSTILE_REQUESTED)}"; draft #0 misspelt it: a fault\\); ` +
          'draft #0 was ahead on (aesthetic|alignment) −0\\.006, (aesthetic|alignment) −0\\.006$'
      )
    );
  });

  test("each candidate's score points add up to its score, text included when it was measured", () => {
    for (const c of line('golf').candidates) {
      expect(Object.keys(c.points).sort()).toEqual(['aesthetic', 'alignment', 'technical', 'text']);
      expect(Object.values(c.points).reduce((s, p) => s + p, 0)).toBeCloseTo(c.score!, 12);
    }
    // The winner's parts, by hand: weight × value / 1.3.
    expect(line('golf').candidates[1]!.points).toEqual({
      aesthetic: expect.closeTo((W.aesthetic * 0.5) / 1.3, 12),
      alignment: expect.closeTo((W.alignment * 0.6) / 1.3, 12),
      technical: expect.closeTo((W.technical * 0.5) / 1.3, 12),
      text: expect.closeTo((W.text * 1) / 1.3, 12),
    });
  });

  test('text that was not measured says so with its reason and is not penalised', () => {
    for (const caption of captions('hotel')) {
      expect(caption).toContain(`text — (&quot;${DEVANAGARI}&quot; not measured (${NOT_READ_REASON}))`);
      expect(caption).not.toMatch(/text \d/);
    }
    const hotel = line('hotel');
    for (const c of hotel.candidates) {
      expect(c.text).toEqual({ requested: DEVANAGARI, measured: false, reason: NOT_READ_REASON });
      // No text part at all (not a 0): the other three parts, over their own weights, make the score.
      expect(Object.keys(c.points).sort()).toEqual(['aesthetic', 'alignment', 'technical']);
      expect(Object.values(c.points).reduce((s, p) => s + p, 0)).toBeCloseTo(c.score!, 12);
    }
    expect(hotel.candidates[0]!.points).toEqual({
      aesthetic: expect.closeTo(W.aesthetic * 0.7, 12),
      alignment: expect.closeTo(W.alignment * 0.6, 12),
      technical: expect.closeTo(W.technical * 0.5, 12),
    });
    // Aesthetic decided it by 0.4 × 0.3 / 1.0 = 0.120 (0.092 if an unmeasured text still counted in the
    // divisor); text is not named as a reason.
    expect(hotel.winner!.why).toBe('draft #0 beat draft #1 by 0.120 (0.620 vs 0.500): won on aesthetic +0.120');
  });
});

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
