import { setHandler } from '@temporalio/workflow';
import type { GeneratedCandidate } from '../shared/generation.js';
import { Ledger } from '../shared/ledger.js';
import { seedFor } from '../shared/seeds.js';
import {
  thumbnailCostQuery,
  type CandidateFailure,
  type ThumbnailWorkflowInput,
  type ThumbnailWorkflowResult,
} from '../shared/thumbnail-workflow.js';
import { CandidateFailedError, generateWithRetries } from './provider-calls.js';

/**
 * Generates the candidates of one thumbnail brief in parallel, each with a distinct
 * deterministic seed, and books every billed call in a ledger held in workflow state
 * (queryable with `cost` while it runs).
 */
export async function thumbnailWorkflow(input: ThumbnailWorkflowInput): Promise<ThumbnailWorkflowResult> {
  const ledger = new Ledger();
  setHandler(thumbnailCostQuery, () => ({
    thumbnailId: input.thumbnailId,
    entries: ledger.list(),
    totals: ledger.totals,
  }));

  const failures: CandidateFailure[] = [];
  const settled = await Promise.all(
    Array.from({ length: input.candidates }, async (_, candidateIndex): Promise<GeneratedCandidate | undefined> => {
      const seed = seedFor(input.batchId, input.thumbnailId, input.phase, candidateIndex);
      try {
        return await generateWithRetries(
          {
            batchId: input.batchId,
            thumbnailId: input.thumbnailId,
            phase: input.phase,
            candidateIndex,
            params: { ...input.request, seed },
          },
          ledger,
          input.retry,
          `${input.thumbnailId} ${input.phase} ${candidateIndex + 1}/${input.candidates} on ${input.request.model}`
        );
      } catch (err) {
        if (!(err instanceof CandidateFailedError)) throw err;
        failures.push({ candidateIndex, type: err.type, message: err.message, attempts: err.attempts });
        return undefined;
      }
    })
  );
  return {
    thumbnailId: input.thumbnailId,
    phase: input.phase,
    candidates: settled.filter((c): c is GeneratedCandidate => c !== undefined),
    failures: failures.sort((a, b) => a.candidateIndex - b.candidateIndex),
    ledger: ledger.list(),
    totals: ledger.totals,
  };
}
