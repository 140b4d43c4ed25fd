/**
 * The completion callback's signature: HMAC-SHA256 under THUMBGATE_WEBHOOK_SECRET over
 * `${timestamp}.${body}`, sent as `x-thumbgate-signature: v1=<hex>` with `x-thumbgate-timestamp`.
 * The timestamp inside the signed text lets a receiver refuse replays of an old callback.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export function signCallback(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * What a receiver checks (docs/operations.md shows the same steps without this module): the
 * signature matches the body and the timestamp is recent (default: within five minutes).
 */
export function verifyCallback(
  secret: string,
  timestampHeader: string | undefined,
  signatureHeader: string | undefined,
  body: string,
  nowSeconds = Math.floor(Date.now() / 1000),
  toleranceSeconds = 300
): boolean {
  const timestamp = Number(timestampHeader);
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signCallback(secret, timestamp, body));
  const given = Buffer.from(signatureHeader ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
