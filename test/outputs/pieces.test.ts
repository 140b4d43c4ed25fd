import { join } from 'node:path';
import { csvField, ledgerCsvRow } from '../../activities/outputs/ledger-csv.js';
import { microsToUsdExact, usdExactToMicros } from '../../shared/money.js';
import { batchOutputDir, resolveInside } from '../../activities/outputs/output-paths.js';
import { scoreComponents } from '../../activities/outputs/score-components.js';
import { decideOutcome } from '../../activities/outputs/thumbnail-outcome.js';
import { escapeMarkup } from '../../activities/outputs/escape.js';
import { okResult } from '../helpers/results.js';

test('micro-dollars format exactly and round-trip', () => {
  for (const m of [0, 1, 999_999, 1_000_000, 7_920, 50_000, 123_456_789_012, -8_885]) {
    expect(usdExactToMicros(microsToUsdExact(m))).toBe(m);
  }
  expect(microsToUsdExact(7_920)).toBe('0.007920');
  expect(microsToUsdExact(-1)).toBe('-0.000001');
  expect(() => microsToUsdExact(0.5)).toThrow(RangeError);
});

test('CSV fields are quoted only when needed', () => {
  expect(csvField('plain')).toBe('plain');
  expect(csvField('a,b')).toBe('"a,b"');
  expect(csvField('say "hi"')).toBe('"say ""hi"""');
  expect(csvField('line\nbreak')).toBe('"line\nbreak"');
  expect(csvField(undefined)).toBe('');
  expect(
    ledgerCsvRow({
      requestId: 'r1',
      thumbnailId: 't',
      phase: 'draft',
      candidateIndex: 0,
      model: 'flux-schnell',
      pricingMode: 'gpu-second',
      gpuSeconds: 1.1300000000000001,
      costMicros: 8136,
      basis: 'provider',
      attempt: 1,
      outcome: 'image',
    })
  ).toBe('t,draft,0,1,flux-schnell,gpu-second,1.13,0.008136,provider,,r1,image\r\n');
});

test('paths are confined to the batch folder', () => {
  expect(batchOutputDir('/out', 'b1')).toBe(join('/out', 'b1'));
  expect(() => batchOutputDir('/out', '..')).toThrow(/not safe/);
  expect(() => resolveInside('/out/b1', '../b2.jpg')).toThrow(/outside/);
  expect(() => resolveInside('/out/b1', '/etc/passwd')).toThrow(/outside/);
  expect(() => resolveInside('/out/b1', '.')).toThrow(/outside/);
  expect(resolveInside('/out/b1', 'contact', 'x.jpg')).toBe('/out/b1/contact/x.jpg');
});

test('score components are every numeric field, flattened', () => {
  const c = scoreComponents({
    index: 3,
    score: 0.5,
    aesthetic: 0.4,
    alignment: { cosine: 0.2 },
    randomWeights: true,
    future: { x: { y: 1 } },
  });
  expect(c).toEqual({ score: 0.5, aesthetic: 0.4, 'alignment.cosine': 0.2, 'future.x.y': 1 });
  expect(scoreComponents(undefined)).toEqual({});
});

test('markup escaping covers text and attributes', () => {
  expect(escapeMarkup(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

test('a re-roll decision whose result is gone keeps the best draft and says so', () => {
  const draft = okResult('t', [0.1, 0.3], { best: 1 });
  const outcome = decideOutcome({ id: 't', prompt: 'p', width: 16, height: 16 }, draft, undefined, {
    id: 't',
    draftScore: 0.3,
    rerollScore: 0.9,
    winner: 'reroll',
    reason: 'r',
  });
  expect(outcome.status).toBe('ok');
  expect(outcome.winner).toMatchObject({ phase: 'draft', index: 1 });
  expect(outcome.decisionNote).toMatch(/not in the store/);
});
