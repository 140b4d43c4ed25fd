import { combineScore, DEFAULT_SCORE_WEIGHTS, type CandidateScore, type TextCheck } from '../shared/scoring.js';
import {
  componentParts,
  describeComponents,
  explainWinner,
  whyBest,
  type ExplainedCandidate,
} from '../shared/decision/score-explanation.js';
import { decideReroll } from '../shared/decision/reroll-decision.js';
import { okResult } from './helpers/results.js';

const weights = DEFAULT_SCORE_WEIGHTS;

/** A score detail whose `score` is the real weighted mean of its components. */
function detail(aesthetic: number, alignment: number, technical: number, text?: TextCheck): CandidateScore {
  const fidelity = text?.measured ? text.fidelity : undefined;
  return {
    index: 0,
    sha256: 'a'.repeat(64),
    score: combineScore(
      { aesthetic, alignment, technical, ...(fidelity === undefined ? {} : { text: fidelity }) },
      weights
    ),
    aesthetic,
    aestheticRating: 5.9,
    alignment: { cosine: alignment / 2.5, clipScore: alignment, normalized: alignment },
    technical: {
      score: technical,
      sharpness: technical,
      exposure: technical,
      contrast: technical,
      colourfulness: technical,
      raw: { laplacianVariance: 1, meanLuminance: 0.5, clippedFraction: 0, rmsContrast: 0.2, colourfulness: 30 },
    },
    ...(text ? { text } : {}),
    randomWeights: false,
  };
}

const read = (r: string, fidelity: number): TextCheck => ({
  requested: 'I FOUND IT',
  measured: true,
  read: r,
  fidelity,
});
const cand = (label: string, d: CandidateScore): ExplainedCandidate => ({ label, score: d.score, detail: d });

test('the parts of a score add up to the score, with and without measured text', () => {
  for (const d of [
    detail(0.6, 0.7, 0.5),
    detail(0.6, 0.7, 0.5, read('I FOUND IT', 1)),
    detail(0.2, 0.9, 0.1, read('', 0)),
  ]) {
    const parts = componentParts(d, weights);
    expect(parts.reduce((sum, p) => sum + p.points, 0)).toBeCloseTo(d.score, 12);
  }
  // Text that was not measured is left out, as the score leaves it out.
  const unmeasured = detail(0.6, 0.7, 0.5, { requested: 'नमस्ते', measured: false, reason: 'Devanagari is not read' });
  expect(componentParts(unmeasured, weights).map((p) => p.name)).toEqual(['aesthetic', 'alignment', 'technical']);
});

test('the winner is explained by the component that made the difference, with the text read', () => {
  const legible = detail(0.5, 0.6, 0.5, read('I FOUND IT', 1));
  const garbled = detail(0.52, 0.62, 0.5, read('I FOUNO IT', 2 / 3));
  expect(legible.score).toBeGreaterThan(garbled.score);
  const why = whyBest([cand('draft #0', garbled), cand('draft #1', legible)], 1, weights);
  expect(why).toMatch(/^draft #1 beat draft #0 by 0\.\d{3} \(/);
  expect(why).toContain('won on text +0.077 ("I FOUND IT" vs "I FOUNO IT" for "I FOUND IT")');
  expect(why).toMatch(/draft #0 was ahead on (aesthetic|alignment) −0\.00\d, (aesthetic|alignment) −0\.00\d$/);
});

test('ties, single candidates and unscored candidates are said as such', () => {
  const d = detail(0.5, 0.5, 0.5);
  expect(whyBest([cand('draft #0', d), cand('draft #1', d)], 0, weights)).toBe(
    `draft #0 tied with draft #1 at ${d.score.toFixed(3)} and came first`
  );
  expect(whyBest([cand('draft #0', d), { label: 'draft #1' }], 0, weights)).toBe(
    `draft #0 was the only scored candidate (${d.score.toFixed(3)})`
  );
  expect(whyBest([{ label: 'draft #0' }], 0, weights)).toBe('no scored candidate');
});

test('a candidate line names every component, the LAION rating and the text read', () => {
  expect(describeComponents(detail(0.61, 0.7, 0.55, read('I FOUNO IT', 0.667)))).toBe(
    'aesthetic 0.61 (rating 5.90) · alignment 0.70 · technical 0.55 · text 0.67 ("I FOUND IT" read as "I FOUNO IT")'
  );
  expect(
    describeComponents(detail(0.61, 0.7, 0.55, { requested: 'नमस्ते', measured: false, reason: 'no OCR data' }))
  ).toBe('aesthetic 0.61 (rating 5.90) · alignment 0.70 · technical 0.55 · text — ("नमस्ते" not measured (no OCR data))');
});

const result = (phase: 'draft' | 'reroll', details: CandidateScore[]) =>
  okResult(
    't1',
    details.map((d) => ({ score: d.score, scoreDetail: d })),
    { phase }
  );

test('a re-rolled thumbnail is explained against its best draft, following the re-roll rule', () => {
  const draft = result('draft', [detail(0.3, 0.4, 0.5), detail(0.35, 0.45, 0.5)]);
  const better = result('reroll', [detail(0.8, 0.7, 0.6)]);
  const won = decideReroll('t1', draft.ok ? draft.candidates[draft.best]!.score : 0, better);
  expect(explainWinner(draft, better, won)).toMatch(
    /^re-rolled: re-roll #0 beat draft #1 by 0\.\d{3} .*won on aesthetic \+0\.\d{3}, alignment \+0\.\d{3}, technical \+0\.\d{3}$/
  );

  const worse = result('reroll', [detail(0.1, 0.2, 0.5)]);
  const kept = decideReroll('t1', draft.ok ? draft.candidates[draft.best]!.score : 0, worse);
  expect(explainWinner(draft, worse, kept)).toMatch(
    /^re-rolled, the draft stands: draft #1 beat re-roll #0 by .*; draft #1 beat draft #0 by/
  );
  // Not re-rolled: only the drafts are compared.
  expect(explainWinner(draft, undefined, undefined)).toMatch(/^draft #1 beat draft #0 by 0\.\d{3}/);
});
