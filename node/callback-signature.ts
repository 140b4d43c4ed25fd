/**
 * The completion callback's signature (scheme v2, docs/operations.md "Completion callbacks").
 * HMAC-SHA256 under the receiver's secret over five lines and the body:
 *
 *   v2 \n <key id> \n <timestamp> \n <destination URL> \n <batch id> \n <body>
 *
 * sent as `x-thumbgate-signature: v2=<hex>` with `x-thumbgate-timestamp` and `x-thumbgate-key-id`.
 * The URL binds a callback to the receiver it was sent to (a receiver checks with its own URL, so a
 * copy replayed to another receiver fails), the timestamp bounds replays to the same one, the batch
 * id must be the body's, and the key id says which secret signed it (rotation, mismatched config).
 * Newlines separate the fields because none of the first five can hold one; the body, last, may.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { KEY_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../shared/notification.js';

const SCHEME = 'v2';

/** What a signature covers besides the secret. */
export interface SignedCallback {
  /** The URL the callback is POSTed to (normalised by {@link callbackUrl}). */
  url: string;
  /** The batch id the body reports. */
  batchId: string;
  timestamp: number;
  body: string;
}

/**
 * The non-secret id of a secret: the first 16 hex digits of HMAC-SHA256(secret, "thumbgate-callback-key-id").
 * Safe to show (it reveals nothing usable about a secret of 128+ bits); a receiver holding an old and a
 * new secret during a rotation picks the one whose id matches.
 */
export function callbackKeyId(secret: string): string {
  return createHmac('sha256', secret).update('thumbgate-callback-key-id').digest('hex').slice(0, 16);
}

/**
 * The destination as signed: WHATWG URL serialisation (lower-case scheme and host, default port
 * dropped) without the fragment, which never goes on the wire. The sender and receiver both use it.
 */
export function callbackUrl(url: string): string {
  const parsed = new URL(url);
  parsed.hash = '';
  return parsed.href;
}

function signature(secret: string, keyId: string, c: SignedCallback): string {
  const text = [SCHEME, keyId, String(c.timestamp), callbackUrl(c.url), c.batchId, c.body].join('\n');
  return `${SCHEME}=${createHmac('sha256', secret).update(text).digest('hex')}`;
}

/** The headers that sign a callback, for the sender (activities/notify.ts). */
export function callbackHeaders(secret: string, c: SignedCallback): Record<string, string> {
  const keyId = callbackKeyId(secret);
  return {
    [TIMESTAMP_HEADER]: String(c.timestamp),
    [KEY_ID_HEADER]: keyId,
    [SIGNATURE_HEADER]: signature(secret, keyId, c),
  };
}

/** A callback as a receiver got it: its own URL (the one given to --notify-url), the headers, the raw body. */
export interface ReceivedCallback {
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function bodyBatchId(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    const batchId = (parsed as { batchId?: unknown } | null)?.batchId;
    return typeof batchId === 'string' ? batchId : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What a receiver checks (docs/operations.md shows the same steps without this module): the timestamp
 * is recent (default: within five minutes), the key id is one of `secrets`' (several during a
 * rotation), and the signature matches this receiver's URL, the body's batch id and the body.
 */
export function verifyCallback(
  secrets: string | readonly string[],
  callback: ReceivedCallback,
  { nowSeconds = Math.floor(Date.now() / 1000), toleranceSeconds = 300 } = {}
): boolean {
  const timestamp = Number(single(callback.headers[TIMESTAMP_HEADER]));
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const keyId = single(callback.headers[KEY_ID_HEADER]);
  const secret = (typeof secrets === 'string' ? [secrets] : secrets).find((s) => callbackKeyId(s) === keyId);
  const batchId = bodyBatchId(callback.body);
  if (secret === undefined || keyId === undefined || batchId === undefined) return false;
  const expected = Buffer.from(
    signature(secret, keyId, { url: callback.url, batchId, timestamp, body: callback.body })
  );
  const given = Buffer.from(single(callback.headers[SIGNATURE_HEADER]) ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** One receiver's secret: `port` undefined matches every port of the host. */
export interface HostSecret {
  /** As WHATWG URL serialises it: lower case, IPv6 in brackets. */
  hostname: string;
  port?: string;
  secret: string;
}

/**
 * The workers' callback secrets: one per receiver host (THUMBGATE_WEBHOOK_SECRETS), and a fallback for
 * hosts not listed (THUMBGATE_WEBHOOK_SECRET). worker/callback-secrets.ts parses and checks them.
 */
export class CallbackKeyring {
  constructor(
    private readonly hosts: readonly HostSecret[],
    private readonly fallback?: string
  ) {}

  /** The secret for a destination: its host and port's, else its host's, else the fallback. */
  secretFor(url: string): string | undefined {
    const u = new URL(url);
    const port = u.port || (u.protocol === 'https:' ? '443' : '80');
    const sameHost = this.hosts.filter((h) => h.hostname === u.hostname);
    return (
      sameHost.find((h) => h.port === port)?.secret ??
      sameHost.find((h) => h.port === undefined)?.secret ??
      this.fallback
    );
  }
}
