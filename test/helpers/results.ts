/**
 * Thumbnail workflow results as the workflow returns them, for tests of what is done with them (the
 * batch's state, the outputs, the explanations) without running it. The one builder: a test states what
 * it is about (scores, a score detail, the workflow's pick, a ledger) and gets the rest filled in.
 */
import type { LedgerEntry, Phase } from '../../shared/generation.js';
import { addToTotals, emptyTotals } from '../../shared/ledger.js';
import type { CandidateScore, ScorerInfo } from '../../shared/scoring.js';
import { bestIndexOf, type ScoredCandidate, type ThumbnailWorkflowResult } from '../../shared/thumbnail-workflow.js';

export interface ResultContext {
  batchId?: string;
  manifestSha256?: string;
  phase?: Phase;
  /** Every billed call; the totals are summed from it. */
  ledger?: LedgerEntry[];
}

/** A candidate given by its score (and its score detail), or in full. */
export type GivenCandidate = number | { score: number; scoreDetail?: CandidateScore } | ScoredCandidate;

function slot(thumbnailId: string, c: ResultContext) {
  return {
    batchId: c.batchId ?? 'b',
    manifestSha256: c.manifestSha256 ?? 'a'.repeat(64),
    thumbnailId,
    phase: c.phase ?? 'draft',
  };
}

function record(thumbnailId: string, candidates: readonly GivenCandidate[], c: ResultContext) {
  const s = slot(thumbnailId, c);
  const ledger = c.ledger ?? [];
  const totals = emptyTotals();
  for (const entry of ledger) addToTotals(totals, entry);
  const scored = candidates.map((spec, i): ScoredCandidate => {
    if (typeof spec === 'object' && 'candidateKey' in spec) return spec;
    const { score, scoreDetail } = typeof spec === 'number' ? { score: spec, scoreDetail: undefined } : spec;
    return {
      batchId: s.batchId,
      thumbnailId,
      phase: s.phase,
      candidateIndex: i,
      candidateKey: `${thumbnailId}-${s.phase}-${i}`,
      image: { sha256: 'b'.repeat(64), bytes: 1, contentType: 'image/jpeg' },
      width: 1,
      height: 1,
      model: s.phase === 'draft' ? 'flux-schnell' : 'flux-1.1-pro',
      seed: 1000 + i,
      billed: {
        requestId: `${thumbnailId}-${s.phase}-${i}`,
        model: 'flux-schnell',
        pricingMode: 'gpu-second',
        costMicros: 8_000,
        basis: 'provider',
      },
      attempt: 1,
      reused: false,
      score,
      ...(scoreDetail ? { scoreDetail } : {}),
    };
  });
  return { ...s, candidates: scored, ledger, totals };
}

/** A scored result; `best` is the workflow's pick (by default the highest score, as it picks). */
export function okResult(
  thumbnailId: string,
  candidates: readonly GivenCandidate[],
  c: ResultContext & { best?: number; scorer?: ScorerInfo } = {}
): ThumbnailWorkflowResult {
  const r = record(thumbnailId, candidates, c);
  return {
    ...r,
    ok: true,
    best: c.best ?? bestIndexOf(r.candidates.map((x) => x.score)),
    ...(c.scorer ? { scorer: c.scorer } : {}),
    failures: [],
  };
}

/** A thumbnail without a winner: `type` is the failure behind it, each candidate failed with `reason`. */
export function failedResult(
  thumbnailId: string,
  type: string,
  reason: string,
  c: ResultContext & { candidates?: readonly GivenCandidate[] } = {}
): ThumbnailWorkflowResult {
  return {
    ...record(thumbnailId, c.candidates ?? [], c),
    ok: false,
    type,
    reason,
    failures: [{ candidateIndex: 0, type, message: reason, attempts: 1 }],
  };
}
