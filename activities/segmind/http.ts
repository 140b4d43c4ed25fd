/**
 * The transport under the Segmind client: one total deadline per HTTP exchange, sending over undici
 * (the API key only to the API's own origin), capped body reads, and how a failed exchange, an error
 * status or a 2xx that is not JSON maps onto a {@link SegmindError}. Knows no model's API.
 */
import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import type { BilledCall } from '../../shared/generation.js';
import type { FailureType } from '../../shared/failures.js';
import type { FluxModel } from '../../shared/price-card.js';
import { OutboundRefusedError } from '../../node/outbound.js';
import { SegmindError, classifyStatus, retryAfterMs, type SegmindErrorInit } from './errors.js';
import { providerText as errorText, redactKey } from './provider-text.js';

/** Longest a whole HTTP exchange (request, headers and every body byte) may take. */
export const DEFAULT_EXCHANGE_TIMEOUT_MS = 90_000;
/** Largest JSON or error body read (v2 answers, error texts). */
const MAX_TEXT_BYTES = 256 * 1024;

/** One HTTP exchange with the provider, as {@link SegmindHttpOptions.onExchange} is told of it. */
export interface ProviderExchange {
  /** Undefined for calls about no model (the balance). */
  model: FluxModel | undefined;
  /** The HTTP status; undefined when no answer arrived (refused, reset, timed out, cancelled). */
  status: number | undefined;
  /** From sending the request to its answer's headers (or to the failure). */
  seconds: number;
}

/** One pooled undici dispatcher for a worker's provider calls. */
export function createSegmindDispatcher(connections = 16): Agent {
  return new Agent({ connections, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 120_000 });
}

export type HttpResponse = Dispatcher.ResponseData;
type Body = HttpResponse['body'];

/**
 * Reads at most `cap` bytes of a body. Past the cap the body is destroyed (undici then closes the
 * connection) and `overflow` is set: nothing beyond one chunk past the cap is ever buffered.
 */
export async function readCapped(
  body: Body,
  cap: number,
  signal?: AbortSignal
): Promise<{ bytes: Buffer; overflow: boolean }> {
  // undici aborts a body on its request's signal too; this makes the deadline hold whatever it does.
  const stop = (): void => {
    body.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
  };
  signal?.addEventListener('abort', stop, { once: true });
  try {
    if (signal?.aborted) stop();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (size + chunk.length > cap) {
        const room = cap - size;
        if (room > 0) chunks.push(chunk.subarray(0, room));
        body.destroy();
        return { bytes: Buffer.concat(chunks), overflow: true };
      }
      chunks.push(chunk);
      size += chunk.length;
    }
    return { bytes: Buffer.concat(chunks, size), overflow: false };
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}

/** Drops a body without reading it; the connection is closed rather than drained. */
export function discard(body: Body): void {
  // Destroying an unread body emits its abort as an error: nobody else is listening any more.
  body.on('error', () => undefined);
  body.destroy();
}

/** Reads an error or JSON body as text (capped), swallowing read failures. */
export async function readText(body: Body, signal: AbortSignal): Promise<string> {
  try {
    return (await readCapped(body, MAX_TEXT_BYTES, signal)).bytes.toString('utf8');
  } catch {
    return '';
  }
}

/** One HTTP exchange: its model (for metrics) and signals, the caller's and the total deadline combined for undici. */
export interface Exchange {
  label: string;
  model: FluxModel | undefined;
  signal: AbortSignal;
  caller?: AbortSignal;
  deadline: AbortSignal;
}

export interface SegmindHttpOptions {
  apiKey: string;
  /** The API's origin: the only one the API key is sent to. */
  apiOrigin: string;
  /** Shared connection pool; one per worker process. */
  dispatcher: Dispatcher | undefined;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  exchangeTimeoutMs: number;
  onExchange: ((exchange: ProviderExchange) => void) | undefined;
}

/** Sends the client's requests and maps what goes wrong on the wire; every message is key-redacted. */
export class SegmindHttp {
  constructor(private readonly options: SegmindHttpOptions) {}

  fail(type: FailureType, message: string, init: SegmindErrorInit = {}): SegmindError {
    return new SegmindError(type, redactKey(message, this.options.apiKey), init);
  }

  /** Runs one HTTP exchange under the total deadline combined with the caller's signal. */
  async exchange<T>(
    model: FluxModel | undefined,
    label: string,
    caller: AbortSignal | undefined,
    run: (ex: Exchange) => Promise<T>
  ) {
    const { exchangeTimeoutMs } = this.options;
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new Error(`${label} exceeded ${exchangeTimeoutMs} ms`)),
      exchangeTimeoutMs
    );
    const signal = caller ? AbortSignal.any([caller, deadline.signal]) : deadline.signal;
    try {
      return await run({ label, model, signal, caller, deadline: deadline.signal });
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends one request. The API key goes only to the API's origin (never to a media host);
   * undici's `request` does not follow redirects, so it cannot be carried elsewhere either.
   */
  async send(
    ex: Exchange,
    url: string,
    init: { method: 'GET' | 'POST'; body?: string; accept: string; dispatcher?: Dispatcher },
    billed?: BilledCall
  ): Promise<HttpResponse> {
    const { apiKey, apiOrigin, onExchange } = this.options;
    const sameOrigin = new URL(url).origin === apiOrigin;
    const started = performance.now();
    const tell = (status: number | undefined): void => {
      try {
        onExchange?.({ model: ex.model, status, seconds: (performance.now() - started) / 1000 });
      } catch {
        // A metric must never cost an answer the provider may have charged for.
      }
    };
    let res: HttpResponse;
    try {
      res = await request(url, {
        method: init.method,
        headers: {
          ...(sameOrigin ? { 'x-api-key': apiKey } : {}),
          ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
          accept: init.accept,
        },
        body: init.body,
        dispatcher: init.dispatcher ?? this.options.dispatcher,
        signal: ex.signal,
        headersTimeout: this.options.headersTimeoutMs,
        bodyTimeout: this.options.bodyTimeoutMs,
      });
    } catch (err) {
      tell(undefined);
      throw this.transportError(ex, err, billed);
    }
    tell(res.statusCode);
    return res;
  }

  /** A non-2xx answer from the API, mapped by status (the body tells 406s apart). */
  async statusError(ex: Exchange, res: HttpResponse, billed?: BilledCall): Promise<SegmindError> {
    const text = await readText(res.body, ex.signal);
    return this.fail(
      classifyStatus(res.statusCode, text),
      `${ex.label} answered ${res.statusCode}: ${errorText(text)}`,
      {
        status: res.statusCode,
        retryAfterMs: retryAfterMs(res.headers),
        billed,
      }
    );
  }

  /** Reads a JSON answer of the API (capped); a 2xx that is not a JSON object is a ProviderServerError. */
  async readJson(ex: Exchange, res: HttpResponse, billed?: BilledCall) {
    let text: string;
    try {
      text = (await readCapped(res.body, MAX_TEXT_BYTES, ex.signal)).bytes.toString('utf8');
    } catch (err) {
      throw this.transportError(ex, err, billed);
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
        return parsed as Record<string, unknown>;
      }
    } catch {
      // fall through
    }
    throw this.fail('ProviderServerError', `${ex.label} answered ${res.statusCode} with no JSON: ${errorText(text)}`, {
      status: res.statusCode,
      billed,
    });
  }

  /**
   * A request that did not complete: cancelled by the caller, over the total deadline, an undici
   * timeout (all ProviderTimeout, retryable) or a connection failure (ProviderUnreachable).
   * `billed` is attached when the provider had already charged for the job.
   */
  transportError(ex: Exchange, err: unknown, billed?: BilledCall): SegmindError {
    if (err instanceof SegmindError) return err;
    if (err instanceof OutboundRefusedError) {
      return this.fail('ProviderMediaRefused', `${ex.label} refused: ${err.message}`, { billed });
    }
    if (ex.caller?.aborted) return this.fail('ProviderTimeout', `${ex.label} was cancelled`, { billed });
    if (ex.deadline.aborted) {
      return this.fail(
        'ProviderTimeout',
        `${ex.label} took longer than ${this.options.exchangeTimeoutMs} ms in total`,
        { billed }
      );
    }
    if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
      return this.fail('ProviderTimeout', `${ex.label} timed out: ${err.message}`, { billed });
    }
    const message = err instanceof Error ? err.message : String(err);
    return this.fail('ProviderUnreachable', `${ex.label} connection failed: ${message}`, { billed });
  }
}
