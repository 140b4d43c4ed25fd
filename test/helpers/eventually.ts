/**
 * Waits for a condition the test cannot be told about directly (a firing to appear on the server, the
 * emulator to have seen N calls): `probe` is asked again until it returns a value. The timeout only
 * bounds a test that would otherwise hang, with what it was waiting for; it is never the assertion.
 */
import { setTimeout as sleep } from 'node:timers/promises';

const INTERVAL_MS = 50;

/**
 * Resolves with the first value `probe` returns other than `undefined` or `false`. A probe that throws
 * counts as "not yet" (a query before the workflow answers); its last error is in the timeout's message.
 */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 60_000
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: Error | undefined;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err instanceof Error ? err : new Error(JSON.stringify(err));
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
    }
    await sleep(INTERVAL_MS);
  }
}
