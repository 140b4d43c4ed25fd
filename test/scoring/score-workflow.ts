/** Test-only workflow: scores candidates through the activity proxy, as the thumbnail workflow does. */
import { proxyActivities } from '@temporalio/workflow';
import type { createScoringActivities } from '../../activities/scoring/index.js';
import type { ScoreCandidatesInput, ScoreCandidatesResult } from '../../shared/scoring.js';

const { scoreCandidates } = proxyActivities<ReturnType<typeof createScoringActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3, initialInterval: '50 ms' },
});

export async function scoreWorkflow(input: ScoreCandidatesInput): Promise<ScoreCandidatesResult> {
  return scoreCandidates(input);
}
