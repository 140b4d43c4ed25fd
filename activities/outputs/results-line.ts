/** One line of results.jsonl: everything known about a brief's outcome, in a stable field order. */
import type { MetadataValue } from '../../shared/thumbnail-brief.js';
import { microsToUsdExact } from '../../shared/money.js';
import type { ScoreComponentName } from '../../shared/decision/score-explanation.js';
import type { TextCheck } from '../../shared/scoring.js';
import { previewPath, winnerFileName } from './output-names.js';
import { scoreComponents, type ScoreComponents } from './score-components.js';
import { componentPoints, isSameCandidate, type CandidateView } from '../../shared/decision/winner.js';
import type { ThumbnailOutcome } from './thumbnail-outcome.js';

export interface ResultsLineCandidate {
  phase: CandidateView['phase'];
  index: number;
  model: string;
  seed: number;
  score: number | null;
  components: ScoreComponents;
  /** Each measured component's share of `score` (they add up to it): weight × value / Σ weights. */
  points: Partial<Record<ScoreComponentName, number>>;
  /** The requested-text check: what was asked for and what OCR read, or why it was not measured. */
  text: TextCheck | null;
  sha256: string;
  bytes: number;
  width: number;
  height: number;
  requestId: string;
  costMicros: number;
  costUsd: string;
  reused: boolean;
  winner: boolean;
  /** Relative path of the preview, or null when the image could not be read. */
  preview: string | null;
}

export interface ResultsLine {
  id: string;
  prompt: string;
  width: number;
  height: number;
  metadata: Record<string, MetadataValue>;
  status: 'ok' | 'failed';
  reason: string | null;
  winner: {
    phase: CandidateView['phase'];
    candidateIndex: number;
    model: string;
    seed: number;
    score: number | null;
    components: ScoreComponents;
    file: string;
    sha256: string;
    /** Why it won: margin over the runner-up and the components behind it. */
    why: string | null;
  } | null;
  reroll: {
    winner: 'draft' | 'reroll';
    reason: string;
    draftScore: number;
    rerollScore: number | null;
    note: string | null;
  } | null;
  cost: {
    calls: number;
    costMicros: number;
    costUsd: string;
    byPhase: Record<CandidateView['phase'], { calls: number; costMicros: number }>;
  };
  candidates: ResultsLineCandidate[];
  failures: ThumbnailOutcome['failures'];
  randomWeights: boolean;
}

/** `previews` maps an original's sha256 to whether its preview exists. */
export function resultsLine(outcome: ThumbnailOutcome, previews: ReadonlyMap<string, boolean>): ResultsLine {
  const { brief, winner, decision } = outcome;
  return {
    id: brief.id,
    prompt: brief.prompt,
    width: brief.width,
    height: brief.height,
    metadata: brief.metadata ?? {},
    status: outcome.status,
    reason: outcome.reason ?? null,
    winner: winner
      ? {
          phase: winner.phase,
          candidateIndex: winner.candidate.candidateIndex,
          model: winner.candidate.model,
          seed: winner.candidate.seed,
          score: winner.candidate.score ?? null,
          components: scoreComponents(winner.candidate.scoreDetail),
          file: winnerFileName(brief.id),
          sha256: winner.candidate.image.sha256,
          why: outcome.why ?? null,
        }
      : null,
    reroll: decision
      ? {
          winner: decision.winner,
          reason: decision.reason,
          draftScore: decision.draftScore,
          rerollScore: decision.rerollScore ?? null,
          note: outcome.decisionNote ?? null,
        }
      : null,
    cost: {
      calls: outcome.cost.calls,
      costMicros: outcome.cost.costMicros,
      costUsd: microsToUsdExact(outcome.cost.costMicros),
      byPhase: outcome.cost.byPhase,
    },
    candidates: outcome.candidates.map((view) => {
      const c = view.candidate;
      return {
        phase: view.phase,
        index: c.candidateIndex,
        model: c.model,
        seed: c.seed,
        score: c.score ?? null,
        components: scoreComponents(c.scoreDetail),
        points: componentPoints(view),
        text: c.scoreDetail?.text ?? null,
        sha256: c.image.sha256,
        bytes: c.image.bytes,
        width: c.width,
        height: c.height,
        requestId: c.billed.requestId,
        costMicros: c.billed.costMicros,
        costUsd: microsToUsdExact(c.billed.costMicros),
        reused: c.reused,
        winner: isSameCandidate(winner, view),
        preview: previews.get(c.image.sha256) ? previewPath(c.image.sha256) : null,
      };
    }),
    failures: outcome.failures,
    randomWeights: outcome.randomWeights,
  };
}
