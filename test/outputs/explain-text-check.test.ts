/* eslint-disable no-control-regex -- control characters are what part of this file is about */
/**
 * `thumbgate result BATCH --thumbnail ID`'s explanation and printing, from the fixture's thumbnail
 * workflow results (the command reads the same results from Temporal; test/cli.e2e.test.ts runs it
 * against a real server).
 */
import { rm } from 'node:fs/promises';
import { printExplanations } from '../../client/commands/result.js';
import { createOutput } from '../../client/output.js';
import type { ThumbnailWorkflowResult } from '../../shared/thumbnail-workflow.js';
import { explanationOf, type ThumbnailExplanation } from '../../shared/decision/winner.js';
import {
  BATCH_ID,
  BatchBuilder,
  COLOURS,
  DEVANAGARI,
  HOSTILE_READ,
  HOSTILE_REQUESTED,
  NOT_READ_REASON,
  tempRoot,
  textCheckBatch,
  type Fixture,
} from './fixtures.js';

/** The explanation of one thumbnail from the fixture's stored workflow results. */
function explain(results: readonly ThumbnailWorkflowResult[], thumbnailId: string): ThumbnailExplanation {
  const of = (phase: string) => results.find((r) => r.thumbnailId === thumbnailId && r.phase === phase);
  return explanationOf(BATCH_ID, thumbnailId, of('draft')!, of('reroll'));
}

/** What `thumbgate result BATCH --thumbnail ID…` prints, as text or `--json`. */
function printed(explained: ThumbnailExplanation[], json: boolean): string {
  const stdout: string[] = [];
  const stream = { write: (s: string) => stdout.push(s) > 0 };
  printExplanations(createOutput(json, stream, stream), explained);
  return stdout.join('');
}

/** The printed table's row for a candidate (`draft #1` …). */
/** How a row names misspelt requested text (a fault: shared/scoring.ts `isTextFault`). */
const MISSPELT_RE = 'misspelt \\(fidelity below 0\\.575\\): a fault, −1\\.000';

function rowOf(text: string, label: string): string {
  const row = text.split('\n').find((l) => l.startsWith(`★  ${label} `) || l.startsWith(`   ${label} `));
  expect(row).toBeDefined();
  return row!;
}

describe('thumbgate result --thumbnail shows the requested-text check', () => {
  let f: Fixture;
  let explained: ThumbnailExplanation[];
  beforeAll(async () => {
    f = await textCheckBatch();
    explained = [explain(f.results, 'golf'), explain(f.results, 'hotel')];
  });
  afterAll(() => rm(f.root, { recursive: true, force: true }));

  test('each candidate row has its text fidelity and what was read against what was requested', () => {
    const text = printed(explained, false);
    expect(text).toContain('golf: draft #1 won with 0.646');
    expect(text).toContain(
      `won on text +1.231 ("${HOSTILE_REQUESTED}" vs "${HOSTILE_READ}" for "${HOSTILE_REQUESTED}"; draft #0 misspelt it: a fault)`
    );
    const winner = rowOf(text, 'draft #1');
    expect(winner).toMatch(/^★/);
    expect(winner).toMatch(
      new RegExp(`\\b1\\.000\\s+"${escapeRegExp(HOSTILE_REQUESTED)}" read as "${escapeRegExp(HOSTILE_REQUESTED)}"$`)
    );
    expect(rowOf(text, 'draft #0')).toMatch(
      new RegExp(
        `\\b0\\.000\\s+"${escapeRegExp(HOSTILE_REQUESTED)}" read as "${escapeRegExp(HOSTILE_READ)}", ${MISSPELT_RE}$`
      )
    );
    expect(rowOf(text, 'draft #2')).toMatch(new RegExp(`\\b0\\.000\\s+"<b>"&'" read as nothing, ${MISSPELT_RE}$`));
  });

  test('a text check that was not measured shows "not measured" with its reason and no fidelity', () => {
    const text = printed(explained, false);
    const hotel = text.slice(text.indexOf('hotel: '));
    expect(hotel).toContain('hotel: draft #0 won with 0.620');
    expect(hotel).toContain('why: draft #0 beat draft #1 by 0.120 (0.620 vs 0.500): won on aesthetic +0.120');
    for (const label of ['draft #0', 'draft #1']) {
      expect(rowOf(hotel, label)).toMatch(
        new RegExp(`\\s—\\s+"${DEVANAGARI}" not measured \\(${escapeRegExp(NOT_READ_REASON)}\\)$`)
      );
    }
  });

  test('--json carries the text checks and points that add up to each score', () => {
    const json = JSON.parse(printed(explained, true)) as ThumbnailExplanation[];
    const [golf, hotel] = json;
    expect(golf!.candidates.map((c) => c.text)).toEqual([
      { requested: HOSTILE_REQUESTED, measured: true, read: HOSTILE_READ, fidelity: 0 },
      { requested: HOSTILE_REQUESTED, measured: true, read: HOSTILE_REQUESTED, fidelity: 1 },
      { requested: HOSTILE_REQUESTED, measured: true, read: '', fidelity: 0 },
    ]);
    expect(hotel!.candidates.map((c) => c.text)).toEqual([
      { requested: DEVANAGARI, measured: false, reason: NOT_READ_REASON },
      { requested: DEVANAGARI, measured: false, reason: NOT_READ_REASON },
    ]);
    for (const c of [...golf!.candidates, ...hotel!.candidates]) {
      expect(Object.values(c.points).reduce((s, p) => s + p, 0)).toBeCloseTo(c.score!, 12);
      expect('text' in c.points).toBe(c.text?.measured === true);
    }
  });
});

test('thumbgate result --thumbnail sends the requested and read text to the terminal sanitised', async () => {
  // Requested text from a manifest and OCR output are not the CLI's to trust: escape sequences
  // (clear screen, retitle the window), a bare CR and a bidi override must not reach the terminal.
  const requested = 'SALE\u001b[2J\u001b]0;pwned\u0007 NOW';
  const read = 'SALE\rNOW \u202eWON';
  const { root, store, outRoot } = await tempRoot();
  try {
    const b = new BatchBuilder(store, false);
    b.brief('india');
    await b.result('india', 'draft', [
      {
        colour: COLOURS.green,
        components: {
          aesthetic: 0.5,
          alignment: 0.5,
          technical: 0.5,
          text: { requested, measured: true, read, fidelity: 0.5 },
        },
      },
    ]);
    const f = await b.finish(root, outRoot);
    const explained = [explain(f.results, 'india')];
    expect(explained[0]!.candidates[0]!.text).toEqual({ requested, measured: true, read, fidelity: 0.5 });

    const text = printed(explained, false);
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(rowOf(text, 'draft #0')).toMatch(
      new RegExp(`\\b0\\.500\\s+"SALE NOW" read as "SALE\\\\x0dNOW \\\\u202eWON", ${MISSPELT_RE}$`)
    );
    // --json keeps the text as it is; JSON escapes the C0 controls (its own newlines aside).
    const json = printed(explained, true);
    expect(json).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect((JSON.parse(json) as ThumbnailExplanation[])[0]!.candidates[0]!.text).toMatchObject({ requested, read });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
