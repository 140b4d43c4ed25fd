import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import type { BilledCall } from '../../shared/generation.js';
import {
  expectedImageSize,
  toRequestBody,
  validateRequestBody,
  type GenerationParams,
} from '../../shared/generation-request.js';
import {
  PRICE_CARD,
  callCostMicros,
  expectedCostMicros,
  usdToMicros,
  type FluxModel,
} from '../../shared/price-card.js';
import { SegmindError, classifyStatus, refine406, retryAfterMs, type SegmindErrorKind } from './errors.js';

export const DEFAULT_SEGMIND_BASE_URL = 'https://api.segmind.com';

export interface SegmindClientOptions {
  apiKey: string;
  baseUrl?: string;
  /** Shared connection pool; one per worker process. */
  dispatcher?: Dispatcher;
  /** Time to the response headers (the provider renders before it answers). */
  headersTimeoutMs?: number;
  /** Longest pause while the image body streams in. */
  bodyTimeoutMs?: number;
}

export interface GeneratedImage {
  bytes: Buffer;
  contentType: string;
  width: number;
  height: number;
  billed: BilledCall;
}

/** One pooled undici dispatcher for a worker's provider calls. */
export function createSegmindDispatcher(connections = 16): Agent {
  return new Agent({ connections, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 120_000 });
}

type Headers = Record<string, string | string[] | undefined>;

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

/**
 * Reads the accounting headers of a 200: what it cost, GPU-seconds, balance, request id. A
 * per-second call that reports neither its cost nor its GPU time is booked at the price card's
 * expectation for its step count, never at zero.
 */
export function billedFromHeaders(model: FluxModel, headers: Headers, steps?: number): BilledCall {
  const pricingMode = PRICE_CARD[model].pricing.mode;
  const gpuSeconds = numberHeader(headers, 'x-generation-time');
  const cost = numberHeader(headers, 'x-cost');
  const credits = numberHeader(headers, 'x-remaining-credits');
  let costMicros: number;
  if (cost !== undefined) costMicros = usdToMicros(cost);
  else if (pricingMode === 'flat' || gpuSeconds !== undefined) costMicros = callCostMicros(model, gpuSeconds);
  else costMicros = expectedCostMicros(model, steps);
  return {
    requestId: header(headers, 'x-request-id') ?? `unreported-${randomUUID()}`,
    model,
    pricingMode,
    ...(pricingMode === 'gpu-second' && gpuSeconds !== undefined ? { gpuSeconds } : {}),
    costMicros,
    ...(credits !== undefined ? { creditsRemainingMicros: usdToMicros(credits) } : {}),
  };
}

function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; error_description?: unknown };
    const msg = parsed.error_description ?? parsed.error;
    if (typeof msg === 'string') return msg;
  } catch {
    // not JSON (405 pages, plain-text 406s)
  }
  return body
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}

/**
 * Segmind's synchronous v1 API over undici: `POST {base}/v1/{model}` with `x-api-key`.
 * Returns the decoded-and-checked image with what the call was billed; throws {@link SegmindError}.
 */
export class SegmindClient {
  private readonly apiKey: string;
  private readonly baseUrl: string;
  private readonly dispatcher: Dispatcher | undefined;
  private readonly headersTimeoutMs: number;
  private readonly bodyTimeoutMs: number;

  constructor(options: SegmindClientOptions) {
    if (!options.apiKey) throw new Error('SegmindClient needs an API key (SEGMIND_API_KEY in the worker environment)');
    this.apiKey = options.apiKey;
    this.baseUrl = (options.baseUrl ?? DEFAULT_SEGMIND_BASE_URL).replace(/\/+$/, '');
    this.dispatcher = options.dispatcher;
    this.headersTimeoutMs = options.headersTimeoutMs ?? 120_000;
    this.bodyTimeoutMs = options.bodyTimeoutMs ?? 30_000;
  }

  /** Keeps the key out of anything that leaves this class. */
  private redact(text: string): string {
    return text.split(this.apiKey).join('[redacted]');
  }

  private fail(kind: SegmindErrorKind, message: string, init: ConstructorParameters<typeof SegmindError>[2] = {}) {
    return new SegmindError(kind, this.redact(message), { ...init, cause: undefined });
  }

  async generate(params: GenerationParams, signal?: AbortSignal): Promise<GeneratedImage> {
    const { model } = params;
    const body = toRequestBody(params);
    const problems = validateRequestBody(model, body);
    if (problems.length > 0) {
      throw this.fail(
        'SegmindInvalidRequest',
        `invalid ${model} request: ${problems.map((p) => p.message).join('; ')}`
      );
    }
    let res: Dispatcher.ResponseData;
    try {
      res = await request(`${this.baseUrl}/v1/${model}`, {
        method: 'POST',
        headers: { 'x-api-key': this.apiKey, 'content-type': 'application/json', accept: 'image/*' },
        body: JSON.stringify(body),
        dispatcher: this.dispatcher,
        signal,
        headersTimeout: this.headersTimeoutMs,
        bodyTimeout: this.bodyTimeoutMs,
      });
    } catch (err) {
      throw this.transportError(model, err, signal);
    }
    const headers = res.headers;
    if (res.statusCode !== 200) {
      const text = await res.body.text().catch(() => '');
      const classified = classifyStatus(res.statusCode);
      const kind = res.statusCode === 406 ? refine406(text) : classified.kind;
      throw this.fail(kind, `Segmind ${model} answered ${res.statusCode}: ${errorText(text)} (${classified.hint})`, {
        status: res.statusCode,
        retryAfterMs: retryAfterMs(headers),
      });
    }
    // The call is billed from here on, whatever happens to the body.
    const billed = billedFromHeaders(model, headers, typeof body.steps === 'number' ? body.steps : undefined);
    let bytes: Buffer;
    try {
      bytes = Buffer.from(await res.body.arrayBuffer());
    } catch (err) {
      if (signal?.aborted) throw this.transportError(model, err, signal);
      const reason = err instanceof Error ? err.message : String(err);
      throw this.fail('SegmindBadImage', `Segmind ${model} image body was cut off (${reason})`, {
        status: 200,
        billed,
      });
    }
    const expected = expectedImageSize(model, body);
    let width: number | undefined;
    let height: number | undefined;
    try {
      const image = sharp(bytes, { failOn: 'truncated' });
      ({ width, height } = await image.metadata());
      await image.stats(); // forces a full decode: a truncated or corrupt image fails here
    } catch (err) {
      throw this.fail('SegmindBadImage', `Segmind ${model} returned an undecodable image: ${(err as Error).message}`, {
        status: 200,
        billed,
      });
    }
    if (width !== expected.width || height !== expected.height) {
      throw this.fail(
        'SegmindBadImage',
        `Segmind ${model} returned ${width}×${height}, expected ${expected.width}×${expected.height}`,
        { status: 200, billed }
      );
    }
    return {
      bytes,
      contentType: header(headers, 'content-type') ?? 'application/octet-stream',
      width,
      height,
      billed,
    };
  }

  private transportError(model: FluxModel, err: unknown, signal?: AbortSignal): SegmindError {
    if (signal?.aborted) {
      return this.fail('SegmindTimeout', `Segmind ${model} call was cancelled`);
    }
    if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
      return this.fail('SegmindTimeout', `Segmind ${model} timed out: ${err.message}`);
    }
    const message = err instanceof Error ? err.message : String(err);
    return this.fail('SegmindConnectionError', `Segmind ${model} connection failed: ${message}`);
  }
}
