/**
 * Sends the completion callback from a workflow: bounded retries (a receiver down for a few minutes
 * still gets it), and whatever happens, an outcome the batch records instead of a failure — the
 * batch's own outcome never depends on the receiver.
 */
import { CancellationScope, proxyActivities } from '@temporalio/workflow';
import type { createNotifyActivities } from '../activities/notify.js';
import { undeliveredOutcome, type CompletionSummary, type NotificationOutcome } from '../shared/notification.js';
import { applicationFailureIn } from './failure-chain.js';

const { notifyCompletion } = proxyActivities<ReturnType<typeof createNotifyActivities>>({
  startToCloseTimeout: '30 seconds',
  // About six minutes of attempts: 2 s, 4 s, 8 s … capped at a minute, eight in all.
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
});

/** Posts `summary` to `url`; never throws (a cancelled batch still notifies). */
export async function notify(url: string, summary: CompletionSummary): Promise<NotificationOutcome> {
  return CancellationScope.nonCancellable(async () => {
    try {
      await notifyCompletion.executeWithOptions({ summary: `notify ${new URL(url).origin}` }, [{ url, summary }]);
      return { url, outcome: 'delivered' };
    } catch (err) {
      return undeliveredOutcome(url, applicationFailureIn(err));
    }
  });
}
