import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import type { BilledCall, CostBasis } from '../../shared/generation.js';
import {
  toRequestBody,
  validateRequestBody,
  type GenerationParams,
  type SegmindRequestBody,
} from '../../shared/generation-request.js';
import {
  PRICE_CARD,
  callCostMicros,
  expectedCostMicros,
  usdToMicros,
  type FluxModel,
} from '../../shared/price-card.js';
import type { FailureType } from '../../shared/failures.js';
import { SegmindError, classifyStatus, retryAfterMs, type SegmindErrorInit } from './errors.js';
import {
  OutboundRefusedError,
  outboundAgent,
  outboundProblem,
  type OutboundRules,
  type Resolver,
} from '../../node/outbound.js';
import { mediaAnswer, mediaRules } from './media-rules.js';
import { checkImageBody, ImageBodyError, mayBeImage } from './image-body.js';
import {
  boundedText,
  describeBadId,
  isProviderId,
  ledgerRequestId,
  providerText as errorText,
  redactKey,
} from './provider-text.js';

export const DEFAULT_SEGMIND_BASE_URL = 'https://api.segmind.com';
/** Longest a whole HTTP exchange (request, headers and every body byte) may take. */
export const DEFAULT_EXCHANGE_TIMEOUT_MS = 90_000;
/** Largest image body read; a 4 MP JPEG/PNG is a few MB. */
export const DEFAULT_MAX_BODY_BYTES = 25 * 1024 * 1024;
/** Largest JSON or error body read (v2 answers, error texts). */
const MAX_TEXT_BYTES = 256 * 1024;
/** How much of a refused (non-image) body is read, for the error message only. */
const JUNK_PREFIX_BYTES = 1024;

export interface SegmindClientOptions {
  apiKey: string;
  baseUrl?: string;
  /** Shared connection pool; one per worker process. */
  dispatcher?: Dispatcher;
  /**
   * THUMBGATE_MEDIA_HOSTS: hosts a v2 result's `output` URL may point at besides the base URL's own
   * (names or `*.suffix`). Media is fetched over https only, from public addresses only.
   */
  mediaHosts?: readonly string[];
  /** Resolves media hosts' names for the address check (tests answer for made-up names). */
  mediaResolver?: Resolver;
  /** Time to the response headers (the provider renders before it answers). */
  headersTimeoutMs?: number;
  /** Longest pause while the image body streams in. */
  bodyTimeoutMs?: number;
  /**
   * Total deadline of one HTTP exchange, headers and body together, however slowly the bytes
   * trickle (undici's bodyTimeout is idle time per chunk, which a drip never trips). Default 90 s.
   */
  exchangeTimeoutMs?: number;
  /** Image bodies longer than this are cut off and refused (ProviderBadImage). Default 25 MiB. */
  maxBodyBytes?: number;
  /** Told of every HTTP exchange once its answer's headers arrive, or it failed without one (metrics). */
  onExchange?: (exchange: ProviderExchange) => void;
}

/** One HTTP exchange with the provider, as {@link SegmindClientOptions.onExchange} is told of it. */
export interface ProviderExchange {
  /** Undefined for calls about no model (the balance). */
  model: FluxModel | undefined;
  /** The HTTP status; undefined when no answer arrived (refused, reset, timed out, cancelled). */
  status: number | undefined;
  /** From sending the request to its answer's headers (or to the failure). */
  seconds: number;
}

export interface GeneratedImage {
  bytes: Buffer;
  contentType: string;
  width: number;
  height: number;
  billed: BilledCall;
}

/** A v2 job the provider accepted (and charged for). */
export interface SubmittedJob {
  /** Segmind's `request_id`: the key for status, result and the ledger. */
  requestId: string;
  /** Local clock (epoch ms) when the acceptance arrived; Segmind does not report one. */
  acceptedAt?: number;
  /** Balance after the charge (`x-remaining-credits`), when reported. */
  creditsRemainingMicros?: number;
}

export type JobStatus = 'QUEUED' | 'PROCESSING' | 'COMPLETED' | 'FAILED';
const JOB_STATUSES: readonly string[] = ['QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED'];

/** One pooled undici dispatcher for a worker's provider calls. */
export function createSegmindDispatcher(connections = 16): Agent {
  return new Agent({ connections, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 120_000 });
}

type Headers = Record<string, string | string[] | undefined>;
type Body = Dispatcher.ResponseData['body'];

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function numberHeader(headers: Headers, name: string): number | undefined {
  const raw = header(headers, name);
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  return Number.isFinite(n) ? n : undefined;
}

function finiteNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** The amount a 200's accounting headers report, and whether the provider reported it. */
function billingFromHeaders(model: FluxModel, headers: Headers, steps?: number): BilledCall {
  const pricingMode = PRICE_CARD[model].pricing.mode;
  const gpuSeconds = numberHeader(headers, 'x-generation-time');
  const cost = numberHeader(headers, 'x-cost');
  const credits = numberHeader(headers, 'x-remaining-credits');
  let costMicros: number;
  let basis: CostBasis = 'provider';
  if (cost !== undefined) costMicros = usdToMicros(cost);
  else if (pricingMode === 'gpu-second' && gpuSeconds !== undefined) costMicros = callCostMicros(model, gpuSeconds);
  else {
    costMicros = expectedCostMicros(model, steps);
    basis = 'price-card';
  }
  return {
    requestId: ledgerRequestId(header(headers, 'x-request-id')),
    model,
    pricingMode,
    ...(pricingMode === 'gpu-second' && gpuSeconds !== undefined ? { gpuSeconds } : {}),
    costMicros,
    basis,
    ...(credits !== undefined ? { creditsRemainingMicros: usdToMicros(credits) } : {}),
  };
}

/**
 * A non-image 200 that carries accounting headers: its request id and balance are kept, the amount is
 * the price card's (the figures of an answer that is not the provider's image are not trusted).
 */
function suspectBilling(model: FluxModel, headers: Headers, steps?: number): BilledCall {
  const { requestId, pricingMode, creditsRemainingMicros } = billingFromHeaders(model, headers, steps);
  return {
    requestId,
    model,
    pricingMode,
    costMicros: expectedCostMicros(model, steps),
    basis: 'suspect',
    ...(creditsRemainingMicros !== undefined ? { creditsRemainingMicros } : {}),
  };
}

/** Whether a response carries any of Segmind's accounting headers, i.e. evidence that a job ran. */
function hasAccountingHeaders(headers: Headers): boolean {
  return ['x-cost', 'x-request-id', 'x-remaining-credits'].some((name) => header(headers, name) !== undefined);
}

function stepsOf(body: SegmindRequestBody): number | undefined {
  return typeof body.steps === 'number' ? body.steps : undefined;
}

/**
 * Reads at most `cap` bytes of a body. Past the cap the body is destroyed (undici then closes the
 * connection) and `overflow` is set: nothing beyond one chunk past the cap is ever buffered.
 */
async function readCapped(
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
function discard(body: Body): void {
  // Destroying an unread body emits its abort as an error: nobody else is listening any more.
  body.on('error', () => undefined);
  body.destroy();
}

/** Reads an error or JSON body as text (capped), swallowing read failures. */
async function readText(body: Body, signal: AbortSignal): Promise<string> {
  try {
    return (await readCapped(body, MAX_TEXT_BYTES, signal)).bytes.toString('utf8');
  } catch {
    return '';
  }
}

/** One HTTP exchange: its model (for metrics) and signals, the caller's and the total deadline combined for undici. */
interface Exchange {
  label: string;
  model: FluxModel | undefined;
  signal: AbortSignal;
  caller?: AbortSignal;
  deadline: AbortSignal;
}

/**
 * Segmind's API over undici: synchronous v1 (`POST {base}/v1/{model}`, image in the response) and
 * asynchronous v2 (`POST {base}/v2/{model}` → poll `GET {base}/v2/requests/{id}/status` → fetch
 * `GET {base}/v2/requests/{id}` → download its `output` URL). Returns decoded-and-checked images
 * with what the call was billed; throws {@link SegmindError}.
 *
 * Every exchange has one total deadline (`exchangeTimeoutMs`), image bodies a size cap
 * (`maxBodyBytes`), and a body that is not an image is refused before it is read.
 */
export class SegmindClient {
  private readonly apiKey: string;
  private readonly baseUrl: string;
  private readonly baseOrigin: string;
  private readonly dispatcher: Dispatcher | undefined;
  private readonly mediaRules: OutboundRules;
  /** Media downloads connect only where {@link mediaRules} allow (node/outbound.ts). */
  private readonly mediaDispatcher: Dispatcher;
  private readonly headersTimeoutMs: number;
  private readonly bodyTimeoutMs: number;
  private readonly exchangeTimeoutMs: number;
  private readonly maxBodyBytes: number;
  private readonly onExchange: ((exchange: ProviderExchange) => void) | undefined;

  constructor(options: SegmindClientOptions) {
    if (!options.apiKey) throw new Error('SegmindClient needs an API key (SEGMIND_API_KEY in the worker environment)');
    this.apiKey = options.apiKey;
    this.baseUrl = (options.baseUrl ?? DEFAULT_SEGMIND_BASE_URL).replace(/\/+$/, '');
    this.baseOrigin = new URL(this.baseUrl).origin;
    this.dispatcher = options.dispatcher;
    this.mediaRules = mediaRules(new URL(this.baseUrl), options.mediaHosts ?? []);
    this.mediaDispatcher = outboundAgent(this.mediaRules, {
      ...(options.mediaResolver ? { resolve: options.mediaResolver } : {}),
    });
    this.headersTimeoutMs = options.headersTimeoutMs ?? 120_000;
    this.bodyTimeoutMs = options.bodyTimeoutMs ?? 30_000;
    this.exchangeTimeoutMs = options.exchangeTimeoutMs ?? DEFAULT_EXCHANGE_TIMEOUT_MS;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.onExchange = options.onExchange;
  }

  private fail(type: FailureType, message: string, init: SegmindErrorInit = {}): SegmindError {
    return new SegmindError(type, redactKey(message, this.apiKey), init);
  }

  private validBody(params: GenerationParams): SegmindRequestBody {
    const body = toRequestBody(params);
    const problems = validateRequestBody(params.model, body);
    if (problems.length > 0) {
      throw this.fail(
        'ProviderInvalidRequest',
        `invalid ${params.model} request: ${problems.map((p) => p.message).join('; ')}`
      );
    }
    return body;
  }

  /** Runs one HTTP exchange under the total deadline combined with the caller's signal. */
  private async exchange<T>(
    model: FluxModel | undefined,
    label: string,
    caller: AbortSignal | undefined,
    run: (ex: Exchange) => Promise<T>
  ) {
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new Error(`${label} exceeded ${this.exchangeTimeoutMs} ms`)),
      this.exchangeTimeoutMs
    );
    const signal = caller ? AbortSignal.any([caller, deadline.signal]) : deadline.signal;
    try {
      return await run({ label, model, signal, caller, deadline: deadline.signal });
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends one request. The API key goes only to the base URL's origin (never to a media host);
   * undici's `request` does not follow redirects, so it cannot be carried elsewhere either.
   */
  private async send(
    ex: Exchange,
    url: string,
    init: { method: 'GET' | 'POST'; body?: string; accept: string; dispatcher?: Dispatcher },
    billed?: BilledCall
  ): Promise<Dispatcher.ResponseData> {
    const sameOrigin = new URL(url).origin === this.baseOrigin;
    const started = performance.now();
    const tell = (status: number | undefined): void => {
      try {
        this.onExchange?.({ model: ex.model, status, seconds: (performance.now() - started) / 1000 });
      } catch {
        // A metric must never cost an answer the provider may have charged for.
      }
    };
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method: init.method,
        headers: {
          ...(sameOrigin ? { 'x-api-key': this.apiKey } : {}),
          ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
          accept: init.accept,
        },
        body: init.body,
        dispatcher: init.dispatcher ?? this.dispatcher,
        signal: ex.signal,
        headersTimeout: this.headersTimeoutMs,
        bodyTimeout: this.bodyTimeoutMs,
      });
    } catch (err) {
      tell(undefined);
      throw this.transportError(ex, err, billed);
    }
    tell(res.statusCode);
    return res;
  }

  /** A non-2xx answer from the API, mapped by status (the body tells 406s apart). */
  private async statusError(ex: Exchange, res: Dispatcher.ResponseData, billed?: BilledCall): Promise<SegmindError> {
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

  /** A v2 job's result is gone: polling cannot bring it back. */
  private async expiredError(ex: Exchange, res: Dispatcher.ResponseData, billed: BilledCall | undefined) {
    const text = await readText(res.body, ex.signal);
    return this.fail(
      'ProviderResultExpired',
      `${ex.label} answered ${res.statusCode}: the result has expired or was deleted (${errorText(text)})`,
      { status: res.statusCode, billed }
    );
  }

  /** Reads a JSON answer of the API (capped); a 2xx that is not a JSON object is a ProviderServerError. */
  private async readJson(ex: Exchange, res: Dispatcher.ResponseData, billed?: BilledCall) {
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

  // ------------------------------------------------------------------ v1 (sync)

  async generate(params: GenerationParams, signal?: AbortSignal): Promise<GeneratedImage> {
    const { model } = params;
    const body = this.validBody(params);
    return this.exchange(model, `Segmind ${model}`, signal, async (ex) => {
      const res = await this.send(ex, `${this.baseUrl}/v1/${model}`, {
        method: 'POST',
        body: JSON.stringify(body),
        accept: 'image/*',
      });
      if (res.statusCode !== 200) throw await this.statusError(ex, res);
      const contentType = header(res.headers, 'content-type');
      if (!mayBeImage(contentType)) {
        // A 200 that is not an image is not necessarily a job that ran: a CDN or WAF in front of
        // the API answers with an HTML page and none of Segmind's headers, and nothing was charged.
        // So it is booked only when it carries some accounting header (x-cost, x-request-id,
        // x-remaining-credits): then the provider probably did run (and charge) a job, and the
        // amount, at the price card (the headers of a page that is not the provider's answer are not
        // trusted), is flagged `suspect`. With no evidence it is not billed.
        const billed = hasAccountingHeaders(res.headers)
          ? suspectBilling(model, res.headers, stepsOf(body))
          : undefined;
        throw await this.junkError(ex, res, contentType, billed);
      }
      // The call is billed from here on, whatever happens to the body.
      return this.receiveImage(ex, res, model, body, billingFromHeaders(model, res.headers, stepsOf(body)));
    });
  }

  /** `GET {base}/v1/get-user-credits`: the account's balance in micro-dollars (for reconciliation). */
  async credits(signal?: AbortSignal): Promise<number> {
    return this.exchange(undefined, 'Segmind credits', signal, async (ex) => {
      const res = await this.send(ex, `${this.baseUrl}/v1/get-user-credits`, {
        method: 'GET',
        accept: 'application/json',
      });
      if (res.statusCode !== 200) throw await this.statusError(ex, res);
      const { credits } = await this.readJson(ex, res);
      if (typeof credits !== 'number' || !Number.isFinite(credits)) {
        throw this.fail('ProviderServerError', `${ex.label}: no credits in the answer`, { status: 200 });
      }
      return usdToMicros(credits);
    });
  }

  // ------------------------------------------------------------------ v2 (async)

  /** `POST {base}/v2/{model}`: queues a job; Segmind charges for it when it accepts it. */
  async submit(params: GenerationParams, signal?: AbortSignal): Promise<SubmittedJob> {
    const { model } = params;
    const body = this.validBody(params);
    return this.exchange(model, `Segmind ${model} submit`, signal, async (ex) => {
      const res = await this.send(ex, `${this.baseUrl}/v2/${model}`, {
        method: 'POST',
        body: JSON.stringify(body),
        accept: 'application/json',
      });
      if (res.statusCode !== 200) throw await this.statusError(ex, res);
      const json = await this.readJson(ex, res);
      const requestId = json.request_id;
      if (requestId === undefined || requestId === '') {
        throw this.fail('ProviderServerError', `${ex.label} answered 200 without a request_id`, { status: 200 });
      }
      if (!isProviderId(requestId)) {
        // It becomes a ledger key, workflow state and a URL path: refused, not trimmed. An answer in
        // the API's shape probably means a job was accepted; it is booked by the rule for a junk v1
        // 200 (suspect, at the price card, when accounting headers show a job ran).
        throw this.fail(
          'ProviderServerError',
          `${ex.label} answered 200 with an invalid request_id ${describeBadId(requestId)}`,
          {
            status: 200,
            billed: hasAccountingHeaders(res.headers) ? suspectBilling(model, res.headers, stepsOf(body)) : undefined,
          }
        );
      }
      const credits = numberHeader(res.headers, 'x-remaining-credits');
      return {
        requestId,
        acceptedAt: Date.now(),
        ...(credits !== undefined ? { creditsRemainingMicros: usdToMicros(credits) } : {}),
      };
    });
  }

  /** `GET {base}/v2/requests/{id}/status`. */
  async status(model: FluxModel, requestId: string, signal?: AbortSignal): Promise<JobStatus> {
    const label = `Segmind ${model} job ${requestId} status`;
    return this.exchange(model, label, signal, async (ex) => {
      const res = await this.send(ex, `${this.jobUrl(requestId)}/status`, {
        method: 'GET',
        accept: 'application/json',
      });
      if (res.statusCode === 404 || res.statusCode === 410) throw await this.expiredError(ex, res, undefined);
      if (res.statusCode !== 200) throw await this.statusError(ex, res);
      const { status } = await this.readJson(ex, res);
      if (typeof status !== 'string' || !JOB_STATUSES.includes(status)) {
        const shown = boundedText(JSON.stringify(status) ?? 'nothing');
        throw this.fail('ProviderServerError', `${label}: unknown status ${shown}`, { status: 200 });
      }
      return status as JobStatus;
    });
  }

  /**
   * `GET {base}/v2/requests/{id}`, then the image at its `output` URL. `params` are the submitted
   * ones: the size check and, when the provider reports no cost, the price-card estimate need them.
   *
   * The job was charged at submit, so every failure here carries `billed`, except
   * "not finished yet" (a retryable ProviderTimeout without `billed`: poll and ask again). Fetching
   * the result again is free, so a retryable failure here is best retried with `result()`, not a
   * new submit. The ledger de-duplicates by request id; a later success carries the provider's
   * figure (`basis: 'provider'`), which should win over a `price-card` estimate booked earlier.
   */
  async result(
    model: FluxModel,
    requestId: string,
    params: GenerationParams,
    signal?: AbortSignal
  ): Promise<GeneratedImage> {
    const body = toRequestBody({ ...params, model });
    const pricingMode = PRICE_CARD[model].pricing.mode;
    let billed: BilledCall = {
      requestId,
      model,
      pricingMode,
      costMicros: expectedCostMicros(model, stepsOf(body)),
      basis: 'price-card',
    };
    const label = `Segmind ${model} job ${requestId}`;
    const output = await this.exchange(model, `${label} result`, signal, async (ex) => {
      const res = await this.send(ex, this.jobUrl(requestId), { method: 'GET', accept: 'application/json' }, billed);
      if (res.statusCode === 404 || res.statusCode === 410) throw await this.expiredError(ex, res, billed);
      if (res.statusCode === 422) {
        // The job ended FAILED: deterministic for this request, and charged.
        const text = await readText(res.body, ex.signal);
        throw this.fail('ProviderInvalidRequest', `${label} failed: ${errorText(text)}`, { status: 422, billed });
      }
      if (res.statusCode !== 200) throw await this.statusError(ex, res, billed);
      const json = await this.readJson(ex, res, billed);
      if (json.status === 'QUEUED' || json.status === 'PROCESSING') {
        throw this.fail('ProviderTimeout', `${label} is not finished yet (${json.status})`, { status: 200 });
      }
      if (json.status === 'FAILED') {
        throw this.fail('ProviderInvalidRequest', `${label} failed: ${errorText(JSON.stringify(json))}`, {
          status: 200,
          billed,
        });
      }
      billed = this.jobCharge(model, requestId, body, json, res.headers);
      if (typeof json.output !== 'string') {
        const shown = boundedText(String(json.status));
        throw this.fail('ProviderServerError', `${label} is ${shown} but has no output URL`, { status: 200, billed });
      }
      return json.output;
    });
    let url: URL;
    try {
      url = new URL(output, this.baseUrl);
    } catch {
      throw this.fail('ProviderBadImage', `${label} output is not a URL`, { billed });
    }
    // The provider chooses this URL: it is fetched only where media belongs (mediaRules), and the
    // connection is checked again at connect time (the address DNS gives then is the one used).
    const refused = outboundProblem(url, this.mediaRules);
    if (refused) throw this.fail('ProviderMediaRefused', `${label} output refused: ${refused}`, { billed });
    return this.exchange(model, `${label} media`, signal, async (ex) => {
      const res = await this.send(
        ex,
        url.href,
        { method: 'GET', accept: 'image/*', dispatcher: this.mediaDispatcher },
        billed
      );
      // Nothing of a media answer's body is quoted in an error: whatever answers there (an internal
      // service behind a misdirected URL, say) must not be reflected into histories and results.
      if (res.statusCode !== 200) {
        discard(res.body);
        const answered = `${ex.label} answered ${res.statusCode} ${mediaAnswer(header(res.headers, 'content-type'), numberHeader(res.headers, 'content-length'))}`;
        // An object store: 404 NoSuchKey (deleted after the retention, or never there), 403 for an
        // expired signed URL, 410. None of these is about the API key or the model.
        if ([403, 404, 410].includes(res.statusCode)) {
          throw this.fail('ProviderResultExpired', `${answered}: the result has expired or was deleted`, {
            status: res.statusCode,
            billed,
          });
        }
        const type =
          res.statusCode === 429 || res.statusCode >= 500 ? classifyStatus(res.statusCode) : 'ProviderBadImage';
        throw this.fail(type, answered, { status: res.statusCode, retryAfterMs: retryAfterMs(res.headers), billed });
      }
      const contentType = header(res.headers, 'content-type');
      // The job is charged whatever the media host sends; the amount came from the result's
      // metrics, which a junk download does not put in doubt.
      if (!mayBeImage(contentType)) {
        discard(res.body);
        const answered = `${ex.label} answered 200 ${mediaAnswer(header(res.headers, 'content-type'), numberHeader(res.headers, 'content-length'))}`;
        throw this.fail('ProviderBadImage', `${answered} instead of an image`, { status: 200, billed });
      }
      return this.receiveImage(ex, res, model, body, billed);
    });
  }

  private jobUrl(requestId: string): string {
    return `${this.baseUrl}/v2/requests/${encodeURIComponent(requestId)}`;
  }

  /**
   * What a COMPLETED job was charged: `metrics.cost_usd`, else (per-second models) the billed
   * `metrics.gpu_seconds` at the card's rate, else `x-cost` / `x-generation-time`, else the price
   * card's expectation. The balance is the result's `x-remaining-credits` (the balance when the
   * result was fetched, which later jobs may already have lowered).
   */
  private jobCharge(
    model: FluxModel,
    requestId: string,
    body: SegmindRequestBody,
    json: Record<string, unknown>,
    headers: Headers
  ): BilledCall {
    const pricingMode = PRICE_CARD[model].pricing.mode;
    const metrics = (typeof json.metrics === 'object' && json.metrics !== null ? json.metrics : {}) as Record<
      string,
      unknown
    >;
    const costUsd = finiteNumber(metrics.cost_usd);
    const gpuSeconds = finiteNumber(metrics.gpu_seconds);
    const fromHeaders = billingFromHeaders(model, headers, stepsOf(body));
    let costMicros: number;
    let basis: CostBasis = 'provider';
    if (costUsd !== undefined) costMicros = usdToMicros(costUsd);
    else if (pricingMode === 'gpu-second' && gpuSeconds !== undefined) costMicros = callCostMicros(model, gpuSeconds);
    else ({ basis, costMicros } = fromHeaders);
    const gpu = gpuSeconds ?? fromHeaders.gpuSeconds;
    const credits = fromHeaders.creditsRemainingMicros;
    return {
      requestId,
      model,
      pricingMode,
      ...(pricingMode === 'gpu-second' && gpu !== undefined ? { gpuSeconds: gpu } : {}),
      costMicros,
      basis,
      ...(credits !== undefined ? { creditsRemainingMicros: credits } : {}),
    };
  }

  // ------------------------------------------------------------------ image bodies

  /** Refuses a 200 that is not an image, reading at most a small prefix of it for the message. */
  private async junkError(
    ex: Exchange,
    res: Dispatcher.ResponseData,
    contentType: string | undefined,
    billed: BilledCall | undefined
  ): Promise<SegmindError> {
    let prefix = '';
    try {
      prefix = (await readCapped(res.body, JUNK_PREFIX_BYTES, ex.signal)).bytes.toString('utf8');
    } catch {
      // the message only
    } finally {
      discard(res.body);
    }
    const server = boundedText(header(res.headers, 'server') ?? '', 60);
    return this.fail(
      'ProviderBadImage',
      `${ex.label} answered 200 with ${boundedText(contentType ?? 'no content type', 60)} instead of an image` +
        `${server ? ` (server: ${server})` : ''}: ${errorText(prefix)}`,
      { status: 200, billed }
    );
  }

  /** Reads an image body under the size cap and the deadline, decodes it and checks its size. */
  private async receiveImage(
    ex: Exchange,
    res: Dispatcher.ResponseData,
    model: FluxModel,
    body: SegmindRequestBody,
    billed: BilledCall
  ): Promise<GeneratedImage> {
    const failInit = { status: 200, billed };
    const declared = numberHeader(res.headers, 'content-length');
    if (declared !== undefined && declared > this.maxBodyBytes) {
      discard(res.body);
      throw this.fail(
        'ProviderBadImage',
        `${ex.label} image is ${declared} bytes, over the ${this.maxBodyBytes}-byte cap`,
        failInit
      );
    }
    let bytes: Buffer;
    try {
      const read = await readCapped(res.body, this.maxBodyBytes, ex.signal);
      if (read.overflow) {
        throw this.fail(
          'ProviderBadImage',
          `${ex.label} image body exceeded the ${this.maxBodyBytes}-byte cap`,
          failInit
        );
      }
      bytes = read.bytes;
    } catch (err) {
      if (err instanceof SegmindError) throw err;
      discard(res.body);
      if (ex.signal.aborted) throw this.transportError(ex, err, billed);
      const reason = err instanceof Error ? err.message : String(err);
      throw this.fail('ProviderBadImage', `${ex.label} image body was cut off (${reason})`, failInit);
    }
    let width: number;
    let height: number;
    let format: string;
    try {
      ({ width, height, format } = await checkImageBody(bytes, model, body));
    } catch (err) {
      if (!(err instanceof ImageBodyError)) throw err;
      throw this.fail(err.type, `${ex.label} ${err.message}`, failInit);
    }
    return {
      bytes,
      // What the bytes are, not what the answer said: it goes into the blob reference and workflow state.
      contentType: `image/${format}`,
      width,
      height,
      billed,
    };
  }

  /**
   * A request that did not complete: cancelled by the caller, over the total deadline, an undici
   * timeout (all ProviderTimeout, retryable) or a connection failure (ProviderUnreachable).
   * `billed` is attached when the provider had already charged for the job.
   */
  private transportError(ex: Exchange, err: unknown, billed?: BilledCall): SegmindError {
    if (err instanceof SegmindError) return err;
    if (err instanceof OutboundRefusedError) {
      return this.fail('ProviderMediaRefused', `${ex.label} refused: ${err.message}`, { billed });
    }
    if (ex.caller?.aborted) return this.fail('ProviderTimeout', `${ex.label} was cancelled`, { billed });
    if (ex.deadline.aborted) {
      return this.fail('ProviderTimeout', `${ex.label} took longer than ${this.exchangeTimeoutMs} ms in total`, {
        billed,
      });
    }
    if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
      return this.fail('ProviderTimeout', `${ex.label} timed out: ${err.message}`, { billed });
    }
    const message = err instanceof Error ? err.message : String(err);
    return this.fail('ProviderUnreachable', `${ex.label} connection failed: ${message}`, { billed });
  }
}
