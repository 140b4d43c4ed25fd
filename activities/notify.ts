/**
 * The completion callback: POSTs a batch's summary to the scheduler's URL, signed with HMAC-SHA256
 * over the destination URL and batch id too (node/callback-signature.ts), so the receiver knows it
 * came from these workers and was meant for it. The secret is the worker's, per receiver host
 * (THUMBGATE_WEBHOOK_SECRETS, else THUMBGATE_WEBHOOK_SECRET), never workflow input. Retries belong to
 * the workflow's retry policy: this activity makes one attempt and says whether another could help.
 *
 * The URL is workflow input, so it goes only where callbacks belong (node/outbound.ts): a private,
 * loopback or link-local receiver only when THUMBGATE_CALLBACK_HOSTS lists it. What the receiver
 * answered, how the connection failed, or what a name resolved to goes to the worker's log only: the
 * failure (in the batch's history, result, CLI and callback record) says NOT_DELIVERED alike for a
 * closed port, an HTTP 404, a name that does not resolve and one that resolves to a refused address,
 * so a notify URL is no probe of what answers where nor of which internal names exist.
 *
 * Only a refusal decided from the URL's own text (its scheme, an IP literal's range) is typed
 * CallbackAddressRefused (recorded "refused", not retried): it tells the author nothing they did not
 * write. A refusal decided by DNS is typed, retried and worded like an unreachable receiver, so that
 * neither the words, the outcome nor the number of attempts tell "resolves inside" from "no such name".
 */
import { request } from 'undici';
import {
  hostAllowlist,
  OutboundRefusedError,
  outboundAgent,
  outboundProblem,
  type Resolver,
} from '../node/outbound.js';
import { logWarning } from './outputs/heartbeat.js';
import { callbackHeaders, type CallbackKeyring } from '../node/callback-signature.js';
import { failure } from '../shared/failures.js';
import type { NotifyInput } from '../shared/notification.js';

export interface NotifyDeps {
  /** Secrets by receiver host (worker/callback-secrets.ts); a host without one fails with the fix, never unsigned. */
  keys: CallbackKeyring | undefined;
  /** Seconds since the epoch (tests pin it). */
  now?: () => number;
  /** THUMBGATE_CALLBACK_HOSTS: receivers (`host`, `*.suffix` or `host:port`) allowed at non-public addresses. */
  callbackHosts?: readonly string[];
  /** Resolves receivers' names for the address check (tests answer for made-up names). */
  resolve?: Resolver;
}

/** The one message a batch records for every callback not delivered; the detail is in the worker's log. */
const NOT_DELIVERED =
  "callback not delivered: the destination is not allowed or did not accept it (the generation worker's log says which)";

/** One exchange may take this long; a receiver that hangs is retried like one that is down. */
const TIMEOUT_MS = 10_000;

/** Statuses worth another attempt: the receiver is busy or briefly broken, not refusing the callback. */
function retryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

export function createNotifyActivities(deps: NotifyDeps) {
  const now = deps.now ?? (() => Math.floor(Date.now() / 1000));
  const listed = hostAllowlist('THUMBGATE_CALLBACK_HOSTS', deps.callbackHosts ?? [], { ports: true });
  const rules = {
    schemes: ['https:', 'http:'],
    nonPublicAllowed: listed,
    widen: 'callbacks go to public addresses unless THUMBGATE_CALLBACK_HOSTS lists the host',
  };

  /** Delivers the callback once; returns the receiver's 2xx status, or fails (retryably or not). */
  async function notifyCompletion(input: NotifyInput): Promise<number> {
    const secret = deps.keys?.secretFor(input.url);
    if (secret === undefined) {
      throw failure(
        'CallbackSecretMissing',
        `no callback secret for ${new URL(input.url).host} on the generation workers: ` +
          'THUMBGATE_WEBHOOK_SECRETS does not list it and THUMBGATE_WEBHOOK_SECRET is not set'
      );
    }
    const url = new URL(input.url);
    const refused = outboundProblem(url, rules);
    if (refused) {
      logWarning(`completion callback not sent: ${refused}`);
      throw failure('CallbackAddressRefused', NOT_DELIVERED);
    }
    const body = JSON.stringify(input.summary);
    const timestamp = now();
    let status: number;
    const dispatcher = outboundAgent(rules, { ...(deps.resolve ? { resolve: deps.resolve } : {}), connections: 1 });
    try {
      const res = await request(input.url, {
        dispatcher,
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          ...callbackHeaders(secret, { url: input.url, batchId: input.summary.batchId, timestamp, body }),
        },
        headersTimeout: TIMEOUT_MS,
        bodyTimeout: TIMEOUT_MS,
      });
      status = res.statusCode;
      await res.body.dump();
    } catch (err) {
      // A refusal after DNS reads like a name that does not resolve (see the comment at the top).
      const why = err instanceof OutboundRefusedError ? 'not sent' : 'failed';
      logWarning(`completion callback to ${url.origin} ${why}: ${(err as Error).message}`);
      throw failure('CallbackUnreachable', NOT_DELIVERED);
    } finally {
      await dispatcher.close();
    }
    if (status >= 200 && status < 300) return status;
    logWarning(`completion callback to ${url.origin}: the receiver answered HTTP ${status}`);
    throw failure(retryableStatus(status) ? 'CallbackUnreachable' : 'CallbackRejected', NOT_DELIVERED);
  }

  return { notifyCompletion };
}
