/**
 * Gate policies replayed offline over a bought pool. A policy sees the whole batch (the seed's
 * re-roll choice is batch-wide) and says, per brief, which candidates it would have bought and which
 * it ships. Later policies (adaptive drafting, a re-roll below a bar) are one more entry here.
 */
import { DEFAULT_BATCH_OPTIONS, rerollCount } from '../../shared/batch-options.js';
import type { ScoredThumbnail } from '../../shared/batch-workflow.js';
import { decideReroll } from '../../shared/decision/reroll-decision.js';
import { bestIndexOf, type ThumbnailWorkflowResult } from '../../shared/thumbnail-workflow.js';
import { insertLowest } from '../../workflows/batch-state.js';
import type { BriefPool, Candidate } from './pool.js';

export interface Shipment {
  briefId: string;
  /** Undefined when nothing could be shipped. */
  winner: Candidate | undefined;
  /** Every candidate the policy bought for this brief (its cost, calls and time). */
  bought: Candidate[];
}

export interface Policy {
  name: string;
  /** What the policy needs bought per brief, so the pool can be checked to hold it. */
  needs: { drafts: number; rerolls: number };
  ship(briefs: readonly BriefPool[]): Shipment[];
}

/** Ship the first draft: what the product would deliver without a gate. */
export const noGate: Policy = {
  name: 'no gate',
  needs: { drafts: 1, rerolls: 0 },
  ship: (briefs) => briefs.map((b) => ({ briefId: b.id, winner: b.drafts[0], bought: b.drafts.slice(0, 1) })),
};

/**
 * A stand-in for the re-roll's thumbnail-workflow result, holding what decideReroll reads (`ok`,
 * `best`, the candidates' scores), so the product's own rule decides rather than a copy of it.
 */
function rerollResult(briefId: string, reroll: Candidate | undefined): ThumbnailWorkflowResult {
  const base = { thumbnailId: briefId, phase: 'reroll', failures: [], ledger: [] };
  if (!reroll)
    return { ...base, ok: false, type: 'Missing', reason: 'no re-roll bought' } as unknown as ThumbnailWorkflowResult;
  return { ...base, ok: true, best: 0, candidates: [{ score: reroll.score }] } as unknown as ThumbnailWorkflowResult;
}

/**
 * The seed (the product's defaults): `candidates` drafts, the best by bestIndexOf; the bottom
 * `rerollFraction` of the batch by best score (the workflow's insertLowest list, rerollCount long)
 * re-rolled once; decideReroll keeps the re-roll only if it scores strictly higher.
 */
export function seedPolicy(options = DEFAULT_BATCH_OPTIONS): Policy {
  const drafts = options.candidates;
  return {
    name: 'seed',
    needs: { drafts, rerolls: 1 },
    ship(briefs) {
      const best = briefs.map((b) => {
        const own = b.drafts.slice(0, drafts);
        return own[bestIndexOf(own.map((c) => c.score))];
      });
      const limit = rerollCount(briefs.length, options.rerollFraction);
      const bottom: ScoredThumbnail[] = [];
      briefs.forEach((b, i) => {
        const draft = best[i];
        if (draft) insertLowest(bottom, { id: b.id, score: draft.score }, limit);
      });
      const rerolled = new Set(bottom.map((s) => s.id));
      return briefs.map((b, i) => {
        const draft = best[i];
        const bought = b.drafts.slice(0, drafts);
        if (!draft || !rerolled.has(b.id)) return { briefId: b.id, winner: draft, bought };
        const reroll = b.rerolls[0];
        const decision = decideReroll(b.id, draft.score, rerollResult(b.id, reroll));
        return {
          briefId: b.id,
          winner: decision.winner === 'reroll' ? reroll : draft,
          bought: reroll ? [...bought, reroll] : bought,
        };
      });
    },
  };
}

/**
 * The ceiling: a usable candidate among everything bought for the brief (the highest-scoring usable
 * one), else the best by score. Bought = the whole pool, so its cost is the pool's.
 */
export const oracle: Policy = {
  name: 'oracle',
  needs: { drafts: DEFAULT_BATCH_OPTIONS.candidates, rerolls: 1 },
  ship: (briefs) =>
    briefs.map((b) => {
      const all = [...b.drafts, ...b.rerolls];
      const usable = all.filter((c) => c.usable);
      const among = usable.length ? usable : all;
      return { briefId: b.id, winner: among[bestIndexOf(among.map((c) => c.score))], bought: all };
    }),
};

export const POLICIES: readonly Policy[] = [noGate, seedPolicy(), oracle];
