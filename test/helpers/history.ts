import type { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;

/** Activity type names scheduled in a history, in order. */
export function scheduledActivities(history: History): string[] {
  return (history.events ?? [])
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
    .filter((n): n is string => typeof n === 'string');
}

/**
 * The history as text with every payload decoded, so a search for a secret also looks inside
 * inputs, results, failures and summaries (payload data is base64 in the raw JSON).
 */
export function decodedHistoryText(history: History): string {
  const parts: string[] = [];
  const walk = (value: unknown): void => {
    if (value instanceof Uint8Array) {
      parts.push(Buffer.from(value).toString('utf8'));
    } else if (Array.isArray(value)) {
      value.forEach(walk);
    } else if (value && typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) {
        if (key === 'data' && typeof v === 'string') parts.push(Buffer.from(v, 'base64').toString('utf8'));
        walk(v);
      }
    } else if (typeof value === 'string') {
      parts.push(value);
    }
  };
  walk(history);
  return parts.join('\n');
}
