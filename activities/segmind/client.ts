/**
 * Segmind's API over undici: synchronous v1 (`POST {base}/v1/{model}`, image in the response) and
 * asynchronous v2 (`POST {base}/v2/{model}` → poll `GET {base}/v2/requests/{id}/status` → fetch
 * `GET {base}/v2/requests/{id}` → download its `output` URL). The parts under it: http.ts (deadline,
 * send, capped reads, transport errors), billing.ts (what a call is booked at), image-body.ts (is the
 * body an image of the requested size), media-rules.ts (where a v2 result's media may come from).
 */
import type { Dispatcher } from 'undici';
import type { BilledCall } from '../../shared/generation.js';
import {
  toRequestBody,
  validateRequestBody,
  type GenerationParams,
  type SegmindRequestBody,
} from '../../shared/generation-request.js';
import { type FluxModel } from '../../shared/price-card.js';
import { usdToMicros } from '../../shared/money.js';
import { outboundAgent, outboundProblem, type OutboundRules, type Resolver } from '../../node/outbound.js';
import { billingFromHeaders, jobCharge, jobEstimate, junkBilling, remainingCreditsMicros } from './billing.js';
import { classifyStatus, retryAfterMs } from './errors.js';
import { header, numberHeader } from './headers.js';
import {
  DEFAULT_EXCHANGE_TIMEOUT_MS,
  SegmindHttp,
  discard,
  readText,
  type Exchange,
  type HttpResponse,
  type ProviderExchange,
} from './http.js';
import { DEFAULT_MAX_BODY_BYTES, junkError, mayBeImage, receiveImage, type GeneratedImage } from './image-body.js';
import { mediaAnswer, mediaRules } from './media-rules.js';
import { boundedText, describeBadId, isProviderId, providerText as errorText } from './provider-text.js';

export { createSegmindDispatcher, type ProviderExchange } from './http.js';

export const DEFAULT_SEGMIND_BASE_URL = 'https://api.segmind.com';

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

/**
 * The Segmind client: returns decoded-and-checked images with what the call was billed; throws
 * SegmindError (errors.ts). Every exchange has one total deadline (`exchangeTimeoutMs`), image bodies a
 * size cap (`maxBodyBytes`), and a body that is not an image is refused before it is read.
 */
export class SegmindClient {
  private readonly baseUrl: string;
  private readonly http: SegmindHttp;
  private readonly mediaRules: OutboundRules;
  /** Media downloads connect only where {@link mediaRules} allow (node/outbound.ts). */
  private readonly mediaDispatcher: Dispatcher;
  private readonly maxBodyBytes: number;

  constructor(options: SegmindClientOptions) {
    if (!options.apiKey) throw new Error('SegmindClient needs an API key (SEGMIND_API_KEY in the worker environment)');
    this.baseUrl = (options.baseUrl ?? DEFAULT_SEGMIND_BASE_URL).replace(/\/+$/, '');
    this.http = new SegmindHttp({
      apiKey: options.apiKey,
      apiOrigin: new URL(this.baseUrl).origin,
      dispatcher: options.dispatcher,
      headersTimeoutMs: options.headersTimeoutMs ?? 120_000,
      bodyTimeoutMs: options.bodyTimeoutMs ?? 30_000,
      exchangeTimeoutMs: options.exchangeTimeoutMs ?? DEFAULT_EXCHANGE_TIMEOUT_MS,
      onExchange: options.onExchange,
    });
    this.mediaRules = mediaRules(new URL(this.baseUrl), options.mediaHosts ?? []);
    this.mediaDispatcher = outboundAgent(this.mediaRules, {
      ...(options.mediaResolver ? { resolve: options.mediaResolver } : {}),
    });
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  }

  private validBody(params: GenerationParams): SegmindRequestBody {
    const body = toRequestBody(params);
    const problems = validateRequestBody(params.model, body);
    if (problems.length > 0) {
      throw this.http.fail(
        'ProviderInvalidRequest',
        `invalid ${params.model} request: ${problems.map((p) => p.message).join('; ')}`
      );
    }
    return body;
  }

  private imageRequest(model: FluxModel, body: SegmindRequestBody) {
    return { model, body, maxBodyBytes: this.maxBodyBytes };
  }

  /** A v2 job's result is gone: polling cannot bring it back. */
  private async expiredError(ex: Exchange, res: HttpResponse, billed: BilledCall | undefined) {
    const text = await readText(res.body, ex.signal);
    return this.http.fail(
      'ProviderResultExpired',
      `${ex.label} answered ${res.statusCode}: the result has expired or was deleted (${errorText(text)})`,
      { status: res.statusCode, billed }
    );
  }

  // ------------------------------------------------------------------ v1 (sync)

  async generate(params: GenerationParams, signal?: AbortSignal): Promise<GeneratedImage> {
    const { model } = params;
    const body = this.validBody(params);
    return this.http.exchange(model, `Segmind ${model}`, signal, async (ex) => {
      const res = await this.http.send(ex, `${this.baseUrl}/v1/${model}`, {
        method: 'POST',
        body: JSON.stringify(body),
        accept: 'image/*',
      });
      if (res.statusCode !== 200) throw await this.http.statusError(ex, res);
      const contentType = header(res.headers, 'content-type');
      if (!mayBeImage(contentType)) {
        // Not necessarily a job that ran (a CDN or WAF page): booked only on evidence (junkBilling).
        throw await junkError(this.http, ex, res, contentType, junkBilling(model, res.headers, body));
      }
      // The call is billed from here on, whatever happens to the body.
      return receiveImage(
        this.http,
        ex,
        res,
        this.imageRequest(model, body),
        billingFromHeaders(model, res.headers, body)
      );
    });
  }

  /** `GET {base}/v1/get-user-credits`: the account's balance in micro-dollars (for reconciliation). */
  async credits(signal?: AbortSignal): Promise<number> {
    return this.http.exchange(undefined, 'Segmind credits', signal, async (ex) => {
      const res = await this.http.send(ex, `${this.baseUrl}/v1/get-user-credits`, {
        method: 'GET',
        accept: 'application/json',
      });
      if (res.statusCode !== 200) throw await this.http.statusError(ex, res);
      const { credits } = await this.http.readJson(ex, res);
      if (typeof credits !== 'number' || !Number.isFinite(credits)) {
        throw this.http.fail('ProviderServerError', `${ex.label}: no credits in the answer`, { status: 200 });
      }
      return usdToMicros(credits);
    });
  }

  // ------------------------------------------------------------------ v2 (async)

  /** `POST {base}/v2/{model}`: queues a job; Segmind charges for it when it accepts it. */
  async submit(params: GenerationParams, signal?: AbortSignal): Promise<SubmittedJob> {
    const { model } = params;
    const body = this.validBody(params);
    return this.http.exchange(model, `Segmind ${model} submit`, signal, async (ex) => {
      const res = await this.http.send(ex, `${this.baseUrl}/v2/${model}`, {
        method: 'POST',
        body: JSON.stringify(body),
        accept: 'application/json',
      });
      if (res.statusCode !== 200) throw await this.http.statusError(ex, res);
      const json = await this.http.readJson(ex, res);
      const requestId = json.request_id;
      if (requestId === undefined || requestId === '') {
        throw this.http.fail('ProviderServerError', `${ex.label} answered 200 without a request_id`, { status: 200 });
      }
      if (!isProviderId(requestId)) {
        // It becomes a ledger key, workflow state and a URL path: refused, not trimmed. An answer in
        // the API's shape probably means a job was accepted; it is booked by the rule for a junk v1
        // 200 (suspect, at the price card, when accounting headers show a job ran).
        throw this.http.fail(
          'ProviderServerError',
          `${ex.label} answered 200 with an invalid request_id ${describeBadId(requestId)}`,
          {
            status: 200,
            billed: junkBilling(model, res.headers, body),
          }
        );
      }
      const credits = remainingCreditsMicros(res.headers);
      return {
        requestId,
        acceptedAt: Date.now(),
        ...(credits !== undefined ? { creditsRemainingMicros: credits } : {}),
      };
    });
  }

  /** `GET {base}/v2/requests/{id}/status`. */
  async status(model: FluxModel, requestId: string, signal?: AbortSignal): Promise<JobStatus> {
    const label = `Segmind ${model} job ${requestId} status`;
    return this.http.exchange(model, label, signal, async (ex) => {
      const res = await this.http.send(ex, `${this.jobUrl(requestId)}/status`, {
        method: 'GET',
        accept: 'application/json',
      });
      if (res.statusCode === 404 || res.statusCode === 410) throw await this.expiredError(ex, res, undefined);
      if (res.statusCode !== 200) throw await this.http.statusError(ex, res);
      const { status } = await this.http.readJson(ex, res);
      if (typeof status !== 'string' || !JOB_STATUSES.includes(status)) {
        const shown = boundedText(JSON.stringify(status) ?? 'nothing');
        throw this.http.fail('ProviderServerError', `${label}: unknown status ${shown}`, { status: 200 });
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
    let billed = jobEstimate(model, requestId, body);
    const label = `Segmind ${model} job ${requestId}`;
    const output = await this.http.exchange(model, `${label} result`, signal, async (ex) => {
      const res = await this.http.send(
        ex,
        this.jobUrl(requestId),
        { method: 'GET', accept: 'application/json' },
        billed
      );
      if (res.statusCode === 404 || res.statusCode === 410) throw await this.expiredError(ex, res, billed);
      if (res.statusCode === 422) {
        // The job ended FAILED: deterministic for this request, and charged.
        const text = await readText(res.body, ex.signal);
        throw this.http.fail('ProviderInvalidRequest', `${label} failed: ${errorText(text)}`, { status: 422, billed });
      }
      if (res.statusCode !== 200) throw await this.http.statusError(ex, res, billed);
      const json = await this.http.readJson(ex, res, billed);
      if (json.status === 'QUEUED' || json.status === 'PROCESSING') {
        throw this.http.fail('ProviderTimeout', `${label} is not finished yet (${json.status})`, { status: 200 });
      }
      if (json.status === 'FAILED') {
        throw this.http.fail('ProviderInvalidRequest', `${label} failed: ${errorText(JSON.stringify(json))}`, {
          status: 200,
          billed,
        });
      }
      billed = jobCharge(model, requestId, body, json, res.headers);
      if (typeof json.output !== 'string') {
        const shown = boundedText(String(json.status));
        throw this.http.fail('ProviderServerError', `${label} is ${shown} but has no output URL`, {
          status: 200,
          billed,
        });
      }
      return json.output;
    });
    let url: URL;
    try {
      url = new URL(output, this.baseUrl);
    } catch {
      throw this.http.fail('ProviderBadImage', `${label} output is not a URL`, { billed });
    }
    // The provider chooses this URL: it is fetched only where media belongs (mediaRules), and the
    // connection is checked again at connect time (the address DNS gives then is the one used).
    const refused = outboundProblem(url, this.mediaRules);
    if (refused) throw this.http.fail('ProviderMediaRefused', `${label} output refused: ${refused}`, { billed });
    return this.download(model, body, url, `${label} media`, billed, signal);
  }

  private jobUrl(requestId: string): string {
    return `${this.baseUrl}/v2/requests/${encodeURIComponent(requestId)}`;
  }

  /**
   * The image at a v2 result's `output` URL (already checked against the media rules). The job is
   * charged: every failure carries `billed`.
   */
  private async download(
    model: FluxModel,
    body: SegmindRequestBody,
    url: URL,
    label: string,
    billed: BilledCall,
    signal: AbortSignal | undefined
  ): Promise<GeneratedImage> {
    return this.http.exchange(model, label, signal, async (ex) => {
      const res = await this.http.send(
        ex,
        url.href,
        { method: 'GET', accept: 'image/*', dispatcher: this.mediaDispatcher },
        billed
      );
      // Nothing of a media answer's body is quoted in an error: whatever answers there (an internal
      // service behind a misdirected URL, say) must not be reflected into histories and results.
      const answered = `${ex.label} answered ${res.statusCode} ${mediaAnswer(header(res.headers, 'content-type'), numberHeader(res.headers, 'content-length'))}`;
      if (res.statusCode !== 200) {
        discard(res.body);
        // An object store: 404 NoSuchKey (deleted after the retention, or never there), 403 for an
        // expired signed URL, 410. None of these is about the API key or the model.
        if ([403, 404, 410].includes(res.statusCode)) {
          throw this.http.fail('ProviderResultExpired', `${answered}: the result has expired or was deleted`, {
            status: res.statusCode,
            billed,
          });
        }
        const type =
          res.statusCode === 429 || res.statusCode >= 500 ? classifyStatus(res.statusCode) : 'ProviderBadImage';
        throw this.http.fail(type, answered, {
          status: res.statusCode,
          retryAfterMs: retryAfterMs(res.headers),
          billed,
        });
      }
      const contentType = header(res.headers, 'content-type');
      // The job is charged whatever the media host sends; the amount came from the result's
      // metrics, which a junk download does not put in doubt.
      if (!mayBeImage(contentType)) {
        discard(res.body);
        throw this.http.fail('ProviderBadImage', `${answered} instead of an image`, { status: 200, billed });
      }
      return receiveImage(this.http, ex, res, this.imageRequest(model, body), billed);
    });
  }
}
