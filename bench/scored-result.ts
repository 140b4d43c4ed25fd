/** A finished thumbnail with one scored candidate, as the batch books it (bench/batch-state.ts and its unit tests). */
import type { Phase } from '../shared/generation.js';
import { emptyTotals } from '../shared/ledger.js';
import type { ThumbnailWorkflowResult } from '../shared/thumbnail-workflow.js';

let calls = 0;

/** One billed flux-schnell call of `costMicros` whose image scored `score`. */
export function scoredResult(
  id: string,
  score: number,
  phase: Phase = 'draft',
  costMicros = 8_000
): ThumbnailWorkflowResult {
  const totals = emptyTotals();
  totals.calls = 1;
  totals.costMicros = costMicros;
  totals.byPhase[phase] = { calls: 1, costMicros };
  calls += 1;
  return {
    ok: true,
    best: 0,
    batchId: 'unit',
    manifestSha256: 'a'.repeat(64),
    thumbnailId: id,
    phase,
    candidates: [
      {
        batchId: 'unit',
        thumbnailId: id,
        phase,
        candidateIndex: 0,
        candidateKey: `k${calls}`,
        image: { sha256: 'b'.repeat(64), bytes: 1, contentType: 'image/jpeg' },
        width: 1,
        height: 1,
        model: 'flux-schnell',
        seed: 1,
        billed: {
          requestId: `r${calls}`,
          model: 'flux-schnell',
          pricingMode: 'gpu-second',
          costMicros,
          basis: 'provider',
        },
        attempt: 1,
        reused: false,
        score,
      },
    ],
    failures: [],
    ledger: [],
    totals,
  };
}
