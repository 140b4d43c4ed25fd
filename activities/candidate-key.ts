import { createHash } from 'node:crypto';
import { toRequestBody } from '../shared/generation-request.js';
import type { GenerateCandidateInput } from '../shared/generation.js';

/**
 * Deterministic name of a candidate: the slot plus the exact wire request (model, seed and
 * every parameter). A retry of the same slot with the same request maps to the same record,
 * so it can find an image an earlier attempt already paid for.
 */
export function candidateKey(input: Pick<GenerateCandidateInput, keyof GenerateCandidateInput>): string {
  const identity = {
    batchId: input.batchId,
    thumbnailId: input.thumbnailId,
    phase: input.phase,
    candidateIndex: input.candidateIndex,
    model: input.params.model,
    body: toRequestBody(input.params),
  };
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 40);
}
