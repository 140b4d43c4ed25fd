/** The thumbnail's state and result rules without a server. */
import type { GeneratedCandidate, LedgerEntry } from '../shared/generation.js';
import type { ScoreCandidatesResult } from '../shared/scoring.js';
import type { ThumbnailWorkflowInput } from '../shared/thumbnail-workflow.js';
import { ThumbnailState } from '../workflows/thumbnail-state.js';

const input: ThumbnailWorkflowInput = {
  batchId: 'b',
  manifestSha256: 'f'.repeat(64),
  thumbnailId: 't1',
  phase: 'draft',
  request: {
    model: 'flux-schnell',
    prompt: 'a cat',
    width: 448,
    height: 256,
    steps: 4,
  },
  candidates: 3,
  allowanceMicros: 2 * 7_920,
};

function candidate(candidateIndex: number): GeneratedCandidate {
  const hex = String(candidateIndex).repeat(64);
  return {
    batchId: 'b',
    thumbnailId: 't1',
    phase: 'draft',
    candidateIndex,
    candidateKey: `k${candidateIndex}`,
    image: { sha256: hex, bytes: 1, contentType: 'image/jpeg' },
    width: 448,
    height: 256,
    model: 'flux-schnell',
    seed: candidateIndex,
    billed: {
      requestId: `r${candidateIndex}`,
      model: 'flux-schnell',
      pricingMode: 'gpu-second',
      costMicros: 7_000,
      basis: 'provider',
    },
    attempt: 1,
    reused: false,
  };
}

const prior: LedgerEntry = {
  requestId: 'earlier',
  thumbnailId: 't1',
  phase: 'draft',
  candidateIndex: 0,
  model: 'flux-schnell',
  pricingMode: 'gpu-second',
  costMicros: 9_000,
  basis: 'provider',
  attempt: 1,
  outcome: 'unusable',
};

test('candidates come out in candidate order whatever order they finished in; the best is chosen', () => {
  const s = new ThumbnailState(input, []);
  s.addCandidate(candidate(2));
  s.addCandidate(candidate(0));
  expect(s.images().map((i) => i.sha256[0])).toEqual(['0', '2']);
  const scored = {
    scorer: {
      modelId: 'm',
      randomWeights: true,
      weights: { aesthetic: 1, alignment: 1, technical: 1, text: 1 },
      aestheticPrompts: [],
    },
    scores: [{ score: 0.2 }, { score: 0.7 }],
  } as unknown as ScoreCandidatesResult;
  const result = s.scored(scored);
  expect(result).toMatchObject({ ok: true, best: 1 });
  expect(result.candidates.map((c) => [c.candidateIndex, c.score])).toEqual([
    [0, 0.2],
    [2, 0.7],
  ]);
});

test('a failed thumbnail keeps its ledger and candidates; with none generated the first failure says why', () => {
  const s = new ThumbnailState(input, [prior]);
  s.addFailure({ candidateIndex: 2, type: 'ProviderServerError', message: 'later', attempts: 5 });
  s.addFailure({ candidateIndex: 1, type: 'ProviderInvalidRequest', message: 'x'.repeat(5_000), attempts: 1 });
  const none = s.nothingGenerated();
  expect(none).toMatchObject({ ok: false, type: 'ProviderInvalidRequest', totals: { calls: 1, costMicros: 9_000 } });
  expect(none.failures.map((f) => f.candidateIndex)).toEqual([1, 2]);
  // Reasons and messages are bounded: they travel in results and carried state.
  expect(none.failures[0]!.message.length).toBeLessThanOrEqual(500);
  s.addCandidate(candidate(0));
  const failed = s.failed('ScoringInvalidImage', 'scoring failed');
  expect(failed.candidates).toHaveLength(1);
  expect(failed.candidates[0]!.score).toBeNaN();
  expect(s.cost()).toMatchObject({ thumbnailId: 't1', totals: { costMicros: 9_000 } });
});

test("the allowance covers this run's calls only: an earlier run's spend does not use it up", () => {
  const s = new ThumbnailState(input, [prior]);
  const { purse, perCallMicros } = s.budget;
  expect(perCallMicros).toBe(7_920);
  expect(purse.committed).toBe(0);
  expect(purse.reserve(perCallMicros)).toBe(true);
  expect(purse.reserve(perCallMicros)).toBe(true);
  expect(purse.reserve(perCallMicros)).toBe(false);
  // Booked calls count against it as reservations give way to them.
  purse.release(perCallMicros);
  s.ledger.book(candidate(1).billed, { thumbnailId: 't1', phase: 'draft', candidateIndex: 1, attempt: 1 }, 'image');
  expect(purse.committed).toBe(7_000 + 7_920);
  expect(purse.reserve(perCallMicros)).toBe(false);
});
