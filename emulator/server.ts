/**
 * A local HTTP server that speaks Segmind's API for the five Flux models:
 *
 * - v1, synchronous: `POST /v1/{model}` with `x-api-key`, JSON body in, image bytes and
 *   accounting headers out;
 * - v2, asynchronous: `POST /v2/{model}` queues a job, `GET /v2/requests/{id}/status` and
 *   `GET /v2/requests/{id}` poll it, the result's `output` URL serves the image;
 * - `GET /v1/get-user-credits`.
 *
 * It keeps its own tables (models.ts: models, prices, parameter rules; sizes.ts: output sizes)
 * and imports nothing from the client: it imitates the provider, so where the client's
 * expectations differ from the service, the client has to cope here as it would in production.
 *
 * Submit handling order: route → method → auth → plan rate limit → content type → JSON →
 * parameters → content policy → injected fault → balance (accept + bill) → job → respond.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Account, type BilledOutcome, type BillingEntry } from './billing.js';
import { handleControl } from './control.js';
import {
  FaultController,
  MEDIA_FAULTS,
  type FaultApi,
  type FaultConfig,
  type FaultDecision,
  type FaultKind,
} from './faults.js';
import { simulateGpuSeconds } from './gpu-time.js';
import { sendHugeImage } from './huge-image.js';
import {
  PROVIDER_MODELS,
  billMicros,
  checkParameters,
  isEmulatedModel,
  typicalMicros,
  usdNumber,
  usdString,
  type EmulatedModel,
  type ProviderOutputFormat,
} from './models.js';
import { mulberry32 } from './prng.js';
import type { Defect } from './quality.js';
import { RateLimiter } from './rate-limit.js';
import { renderImage, type RenderedImage } from './render.js';
import {
  dripBody,
  sendError,
  sendJson,
  sendJunk200,
  sendMethodNotAllowed,
  sendText,
  streamFiller,
} from './responses.js';
import { SizeTable, type OutputSizeOptions, type Size } from './sizes.js';

/** Not a real key format on purpose (real keys are `SG_` + hex). */
export const DEFAULT_EMULATOR_API_KEY = 'emulator-local-key';
export const DEFAULT_EMULATOR_PORT = 8787;
export const DEFAULT_CREDITS_MICROS = 100_000_000;
export const DEFAULT_BLOCKLIST: readonly string[] = ['gore', 'nsfw', 'nude', 'porn'];
export const DEFAULT_RESULT_TTL_MS = 60 * 60 * 1000;
export const DEFAULT_RATE_WINDOW_MS = 60_000;
export const DEFAULT_QUEUE_SECONDS = 1;
export const DEFAULT_DRIP_BYTES_PER_SECOND = 2_048;
export const DEFAULT_OVERSIZED_BYTES = 40 * 1024 * 1024;
const MAX_BODY_BYTES = 1024 * 1024;

export interface EmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Accepted `x-api-key` values; default [DEFAULT_EMULATOR_API_KEY]. */
  apiKeys?: readonly string[];
  /** Starting balance in micro-dollars; default $100. */
  creditsMicros?: number;
  /**
   * Multiplies simulated latency: 0 (default) answers as fast as it renders, 1 is realistic
   * (per-second models take their GPU-seconds, pro 3–5 s, ultra 6–10 s; v2 jobs also queue).
   */
  latencyScale?: number;
  /** Per-model latency in seconds at scale 1, replacing the simulated generation time. */
  latencySeconds?: Partial<Record<EmulatedModel, number>>;
  /** v2: seconds a job stays QUEUED before PROCESSING, at scale 1 (default 1; × latencyScale). */
  queueSeconds?: number;
  /** Whole words (case-insensitive) that get a prompt rejected; default DEFAULT_BLOCKLIST. */
  blocklist?: readonly string[];
  faults?: FaultConfig;
  /** Scale per-second GPU time by output megapixels relative to 1 MP; default false (size-independent). */
  scaleGpuTimeByMegapixels?: boolean;
  /** Seeds the seeds chosen for bodies that omit `seed` (default 0). */
  seed?: number;
  /** Plan rate limit: generation submits (v1 + v2 POSTs) per key per window; default off. */
  rpm?: number;
  /** The rate-limit window in ms (default 60 000). */
  rateWindowMs?: number;
  /** v2: how long a finished job's result stays available, ms (default one hour). */
  resultTtlMs?: number;
  /** Replaces/extends the provider's output-size table (see sizes.ts). */
  outputSizes?: OutputSizeOptions;
  /** `slow-drip` fault speed (default 2048 bytes/s). */
  dripBytesPerSecond?: number;
  /** `oversized` fault body length (default 40 MiB). */
  oversizedBytes?: number;
  /** Clock (epoch ms) for the rate limit, job timeline, TTL and billing times; default Date.now. */
  now?: () => number;
  /** Called with one line per answered request (the CLI prints them). */
  log?: (line: string) => void;
}

export type RequestOutcome =
  | 'ok'
  | 'truncated'
  | 'hang'
  | 'fault'
  | 'error'
  | 'client-closed'
  | 'junk'
  | 'slow-drip'
  | 'oversized'
  | 'rate-limited'
  | 'accepted';

export type V2Status = 'QUEUED' | 'PROCESSING' | 'COMPLETED' | 'FAILED';

/** Every request to /v1/* and /v2/*, billed or not. */
export interface RequestRecord {
  /** v1: the x-request-id; v2: the job's request_id (polls and downloads too). */
  requestId: string;
  /** Absent for routes outside /v1 and /v2. */
  api?: FaultApi;
  method: string;
  path: string;
  model?: EmulatedModel;
  prompt?: string;
  seed?: number;
  /** When the client dropped a hung request (a timeout or a cancelled call). */
  clientClosedAt?: number;
  /** HTTP status sent; null for a hang or a client that left first. */
  status: number | null;
  outcome: RequestOutcome;
  fault?: FaultKind;
  /** Ground-truth quality of the rendered image. */
  defect?: Defect;
  /** Ground truth for the text check: the lettering drawn for quoted prompt text (render.ts). */
  renderedText?: string;
  /** What this request was billed (a v1 generation or a v2 submit); 0 otherwise. */
  costMicros: number;
  /** The error text sent, for failures. */
  error?: string;
  /** When the plan's rate limit counted this submit (the time its sliding window goes by). */
  rateCountedAt?: number;
}

export interface Emulator {
  /** Base URL, e.g. http://127.0.0.1:41234 (use as SEGMIND_BASE_URL). */
  readonly url: string;
  readonly port: number;
  readonly apiKey: string;
  readonly faults: FaultController;
  /** Every billed job in acceptance order (v1 and v2). */
  billing(): BillingEntry[];
  /** Sum of `billing()` costs. */
  totalBilledMicros(): number;
  /** Current balance in micro-dollars. */
  credits(): number;
  setCredits(micros: number): void;
  requests(): RequestRecord[];
  /** The size the provider makes for a (valid) body: its own table, not the client's. */
  outputSize(model: EmulatedModel, body: Record<string, unknown>): Size;
  /** A v2 job's status as the status endpoint would report it (undefined: unknown or expired). */
  jobStatus(requestId: string): V2Status | undefined;
  /**
   * Back to the state right after createEmulator: empty logs, no jobs, no rate-limit history, the
   * starting balance (or a new one, which becomes the start), the faults given in the options.
   */
  reset(options?: { creditsMicros?: number }): void;
  /** Stops listening and drops every connection, hanging ones included. */
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, `Request body larger than ${MAX_BODY_BYTES} bytes`));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function canonicalJson(body: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(body).sort(([a], [b]) => (a < b ? -1 : 1))));
}

function blocklistPattern(words: readonly string[]): RegExp | undefined {
  const escaped = words.filter((w) => w.trim() !== '').map((w) => w.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return escaped.length > 0 ? new RegExp(`\\b(${escaped.join('|')})\\b`, 'i') : undefined;
}

/** A v2 job: accepted (and billed), rendered in the background, polled by time on the clock. */
interface Job {
  id: string;
  apiKey: string;
  model: EmulatedModel;
  prompt: string;
  seed: number;
  width: number;
  height: number;
  gpuSeconds: number;
  costMicros: number;
  format: ProviderOutputFormat;
  acceptedAt: number;
  /** QUEUED until then. */
  startAt: number;
  /** PROCESSING until then (and until the render is done). */
  doneAt: number;
  fault?: FaultKind;
  /** A media fault still to be applied to the next download. */
  mediaFault?: FaultKind;
  image?: RenderedImage;
  renderError?: string;
  /** Clock time the job reached its final state (set once). */
  finishedAt?: number;
  expired: boolean;
}

/** What passed every check up to the balance. */
interface Admitted {
  model: EmulatedModel;
  body: Record<string, unknown>;
  prompt: string;
  seed: number;
  steps?: number;
  size: Size;
  gpuSeconds: number;
  costMicros: number;
  needMicros: number;
  fault?: FaultDecision;
  apiKey: string;
}

/** The image an admitted request renders, in the output format it asked for (v1 and v2 alike). */
function renderAdmitted(a: Admitted, format: ProviderOutputFormat): Promise<RenderedImage> {
  return renderImage({
    model: a.model,
    prompt: a.prompt,
    seed: a.seed,
    width: a.size.width,
    height: a.size.height,
    format,
    quality: typeof a.body.output_quality === 'number' ? a.body.output_quality : undefined,
  });
}

const REQUESTS_ROUTE = /^\/v2\/requests\/([^/]+)(\/status)?\/?$/;
const MEDIA_ROUTE = /^\/v2\/media\/([0-9a-f-]+)\.(jpg|png)$/;

export async function createEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const now = options.now ?? Date.now;
  const apiKeys = new Set(options.apiKeys ?? [DEFAULT_EMULATOR_API_KEY]);
  const account = new Account(options.creditsMicros ?? DEFAULT_CREDITS_MICROS, now);
  const faults = new FaultController(options.faults);
  const latencyScale = options.latencyScale ?? 0;
  const queueSeconds = options.queueSeconds ?? DEFAULT_QUEUE_SECONDS;
  const resultTtlMs = options.resultTtlMs ?? DEFAULT_RESULT_TTL_MS;
  const dripBytesPerSecond = options.dripBytesPerSecond ?? DEFAULT_DRIP_BYTES_PER_SECOND;
  const oversizedBytes = options.oversizedBytes ?? DEFAULT_OVERSIZED_BYTES;
  const sizes = new SizeTable(options.outputSizes);
  const limiter = new RateLimiter(options.rpm, options.rateWindowMs ?? DEFAULT_RATE_WINDOW_MS, now);
  const blocked = blocklistPattern(options.blocklist ?? DEFAULT_BLOCKLIST);
  let nextSeed = mulberry32(options.seed ?? 0);
  const log = options.log ?? (() => {});
  let records: RequestRecord[] = [];
  let jobs = new Map<string, Job>();
  const closing = new AbortController();
  let url = '';

  const record = (r: RequestRecord): void => {
    records.push(r);
    log(
      `${r.method} ${r.path} ${r.status ?? '-'} ${r.outcome}${r.fault ? ` fault=${r.fault}` : ''}` +
        `${r.defect && r.defect !== 'clean' ? ` defect=${r.defect}` : ''}${r.costMicros ? ` cost=${usdLabel(r.costMicros)}` : ''}`
    );
  };

  const latencyOf = (model: EmulatedModel, gpuSeconds: number): number =>
    (options.latencySeconds?.[model] ?? gpuSeconds) * latencyScale;

  /** Answers 401 unless the request carries an accepted x-api-key; returns the key. */
  function authorize(req: IncomingMessage): { key: string } | { error: string } {
    const key = req.headers['x-api-key'];
    if (key === undefined || key === '') {
      // A Bearer token is something, so it is "invalid" rather than "missing".
      if (req.headers.authorization) return { error: 'Unauthorized. API key is invalid or may have expired' };
      return { error: 'Missing Authorization or x-api-key in header' };
    }
    if (typeof key !== 'string' || !apiKeys.has(key)) {
      return { error: 'Unauthorized. API key is invalid or may have expired' };
    }
    return { key };
  }

  function sendRateLimited(
    res: ServerResponse,
    status: 429,
    message: string,
    retryAfterSeconds: number,
    resetAt: number,
    headers: Record<string, string>
  ): void {
    sendError(res, status, message, {
      ...headers,
      'retry-after': String(retryAfterSeconds),
      'x-rate-limit-reset-at-utc': new Date(resetAt).toISOString(),
    });
  }

  /**
   * The checks shared by v1 and v2 submits, up to (not including) the balance. Answers and
   * records the request itself when it stops it; v2 turns v1's 400s into 422s.
   */
  async function admit(
    req: IncomingMessage,
    res: ServerResponse,
    base: RequestRecord,
    slug: string,
    api: FaultApi
  ): Promise<Admitted | undefined> {
    const requestId = base.requestId;
    const badRequest = api === 'v1' ? 400 : 422;
    const fail = (status: number, message: string, extra: Partial<RequestRecord> = {}, plainText = false) => {
      if (plainText) sendText(res, status, message, { 'x-request-id': requestId });
      else sendError(res, status, message, { 'x-request-id': requestId });
      record({ ...base, status, outcome: 'error', error: message, ...extra });
      return undefined;
    };
    if (req.method !== 'POST') {
      sendMethodNotAllowed(res, req.method ?? '', { 'x-request-id': requestId });
      record({ ...base, status: 405, outcome: 'error', error: 'Method Not Allowed' });
      return undefined;
    }
    if (!isEmulatedModel(slug)) return fail(404, `Model ${slug} not found`);
    const model = slug;
    base.model = model;

    const auth = authorize(req);
    if ('error' in auth) return fail(401, auth.error);

    const slot = limiter.take(auth.key);
    if (!slot.ok) {
      const message = `Rate limit exceeded: your plan allows ${limiter.limit} requests per minute`;
      sendRateLimited(res, 429, message, slot.retryAfterSeconds!, slot.resetAt!, { 'x-request-id': requestId });
      record({ ...base, status: 429, outcome: 'rate-limited', error: message });
      return undefined;
    }
    base.rateCountedAt = slot.at;

    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType !== 'application/json') return fail(406, 'Invalid content type', {}, true);

    let body: Record<string, unknown>;
    try {
      const raw = (await readBody(req)).toString('utf8');
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        return fail(badRequest, 'Request body must be a JSON object');
      }
      body = parsed as Record<string, unknown>;
    } catch (err) {
      if (err instanceof HttpError) return fail(err.status, err.message);
      return fail(badRequest, `Invalid JSON body: ${(err as Error).message}`);
    }
    const problems = checkParameters(model, body);
    if (problems.length > 0) return fail(badRequest, problems.join('; '));
    const prompt = body.prompt as string;
    base.prompt = prompt;
    const hit = blocked?.exec(prompt);
    if (hit) return fail(badRequest, `Prompt rejected by content policy: the prompt contains "${hit[1]}"`);

    const seed = typeof body.seed === 'number' ? body.seed : Math.floor(nextSeed() * 4_294_967_296);
    base.seed = seed;
    const spec = PROVIDER_MODELS[model];
    const steps = spec.steps ? ((body.steps as number | undefined) ?? spec.steps.default) : undefined;
    const size = sizes.sizeFor(model, body);
    const gpuSeconds = simulateGpuSeconds(
      { model, seed, width: size.width, height: size.height, steps },
      options.scaleGpuTimeByMegapixels
    );
    const costMicros = billMicros(model, gpuSeconds);

    const fault = faults.next({ model, prompt, api, bodyKey: canonicalJson(body) });
    if (fault) {
      const f = { outcome: 'fault' as const, fault: fault.kind };
      switch (fault.kind) {
        case '500':
          return fail(500, 'Internal Server Error', f);
        case '503':
          return fail(503, 'Service temporarily unavailable, please retry', f);
        case '401':
          return fail(401, 'Unauthorized. API key is invalid or may have expired', f);
        case '406':
          return fail(406, `Insufficient credits: spend limit reached for this key (injected fault)`, f, true);
        case '429': {
          const message = 'Rate limit exceeded, please retry later';
          const resetAt = now() + fault.retryAfterSeconds * 1000;
          sendRateLimited(res, 429, message, fault.retryAfterSeconds, resetAt, { 'x-request-id': requestId });
          record({ ...base, status: 429, error: message, ...f });
          return undefined;
        }
        case 'hang': {
          // Never answered; the socket stays open until the client gives up or close() runs.
          const hung: RequestRecord = { ...base, status: null, outcome: 'hang', fault: 'hang' };
          record(hung);
          res.once('close', () => (hung.clientClosedAt = Date.now()));
          return undefined;
        }
        case 'junk-200':
          if (api === 'v1') {
            // In front of the GPU: nothing ran, nothing is billed.
            sendJunk200(res);
            record({ ...base, status: 200, outcome: 'junk', fault: 'junk-200' });
            return undefined;
          }
          break;
        default:
          break;
      }
    }
    const needMicros = Math.max(typicalMicros(model, steps), costMicros);
    return { model, body, prompt, seed, steps, size, gpuSeconds, costMicros, needMicros, fault, apiKey: auth.key };
  }

  function insufficient(res: ServerResponse, base: RequestRecord, a: Admitted): void {
    const message = `Insufficient credits: balance ${usdLabel(account.balanceMicros)}, this call needs ${usdLabel(a.needMicros)}`;
    sendText(res, 406, message, { 'x-request-id': base.requestId });
    record({ ...base, status: 406, outcome: 'error', error: message });
  }

  function charge(a: Admitted, requestId: string, api: FaultApi): BillingEntry | undefined {
    return account.accept(a.needMicros, {
      requestId,
      api,
      model: a.model,
      seed: a.seed,
      ...(a.steps !== undefined ? { steps: a.steps } : {}),
      width: a.size.width,
      height: a.size.height,
      gpuSeconds: a.gpuSeconds,
      costMicros: a.costMicros,
      outcome: 'pending',
    });
  }

  function successHeaders(requestId: string, a: Admitted, creditsAfter: number): Record<string, string> {
    return {
      'x-request-id': requestId,
      'x-cost': usdString(a.costMicros),
      'x-remaining-credits': usdString(creditsAfter),
      'x-generation-time': a.gpuSeconds.toFixed(3),
      'x-seed-value': String(a.seed),
    };
  }

  async function handleV1(req: IncomingMessage, res: ServerResponse, base: RequestRecord, slug: string) {
    const requestId = base.requestId;
    const a = await admit(req, res, base, slug, 'v1');
    if (!a) return;
    const entry = charge(a, requestId, 'v1');
    if (!entry) return insufficient(res, base, a);
    // Accepted and billed: from here the job runs whatever the client does.
    const settle = (outcome: BilledOutcome): void => account.settle(requestId, outcome);
    const billed = { costMicros: a.costMicros };

    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    const latencySeconds = latencyOf(a.model, a.gpuSeconds);
    const format: ProviderOutputFormat = a.body.output_format === 'png' ? 'png' : 'jpg';
    let image: RenderedImage;
    try {
      const signal = AbortSignal.any([gone.signal, closing.signal]);
      [image] = await Promise.all([
        renderAdmitted(a, format),
        latencySeconds > 0 ? sleep(latencySeconds * 1000, undefined, { signal }) : undefined,
      ]);
    } catch (err) {
      if (gone.signal.aborted || closing.signal.aborted) {
        settle('client-closed');
        record({ ...base, status: null, outcome: 'client-closed', ...billed });
        return;
      }
      settle('error');
      sendError(res, 500, `Internal Server Error: ${(err as Error).message}`, { 'x-request-id': requestId });
      record({ ...base, status: 500, outcome: 'error', error: (err as Error).message, ...billed });
      return;
    }
    if (gone.signal.aborted) {
      settle('client-closed');
      record({ ...base, status: null, outcome: 'client-closed', ...billed });
      return;
    }
    const headers = successHeaders(requestId, a, entry.creditsAfterMicros);
    const kind = a.fault?.kind;
    const done = { ...base, status: 200, defect: image.defect, ...lettering(image), ...billed };
    if (kind === 'oversized') {
      settle('oversized');
      res.writeHead(200, { ...headers, 'content-type': 'application/octet-stream' });
      record({ ...done, outcome: 'oversized', fault: kind });
      await streamFiller(res, oversizedBytes, closing.signal);
      return;
    }
    if (kind === 'huge-image') {
      settle('oversized');
      record({ ...done, outcome: 'oversized', fault: kind });
      await sendHugeImage(res, headers);
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': image.contentType, 'content-length': image.bytes.length });
    if (kind === 'truncate') {
      settle('truncated');
      record({ ...done, outcome: 'truncated', fault: kind });
      // Half the promised bytes, then a dropped connection: the client sees a short body.
      res.write(image.bytes.subarray(0, Math.floor(image.bytes.length / 2)), () => res.socket?.destroy());
      return;
    }
    if (kind === 'slow-drip') {
      settle('slow-drip');
      record({ ...done, outcome: 'slow-drip', fault: kind });
      await dripBody(res, image.bytes, dripBytesPerSecond, closing.signal);
      return;
    }
    settle('ok');
    record({ ...done, outcome: 'ok' });
    res.end(image.bytes);
  }

  // ---------------------------------------------------------------- v2 (async)

  const jobUrls = (id: string) => ({
    poll_url: `${url}/v2/requests/${id}/status`,
    status_url: `${url}/v2/requests/${id}/status`,
    response_url: `${url}/v2/requests/${id}`,
  });
  const mediaUrl = (job: Job) => `${url}/v2/media/${job.id}.${job.format}`;

  /** Brings a job up to date with the clock: finished? expired? Settles its billing entry once. */
  function refresh(job: Job): void {
    const t = now();
    if (job.finishedAt === undefined && t >= job.doneAt && (job.image || job.renderError)) {
      job.finishedAt = t;
      account.settle(job.id, job.fault === 'job-failed' || job.renderError ? 'failed' : 'ok');
    }
    if (!job.expired && job.finishedAt !== undefined) {
      const ttl = job.fault === 'expired' ? 0 : resultTtlMs;
      if (t >= job.finishedAt + ttl) {
        job.expired = true;
        job.image = undefined; // results are deleted, bytes and all
      }
    }
  }

  function statusOf(job: Job): V2Status {
    refresh(job);
    const t = now();
    if (t < job.startAt) return 'QUEUED';
    if (job.finishedAt === undefined) return 'PROCESSING';
    return job.fault === 'job-failed' || job.renderError ? 'FAILED' : 'COMPLETED';
  }

  function sweep(): void {
    for (const job of jobs.values()) refresh(job);
  }

  async function submitV2(req: IncomingMessage, res: ServerResponse, base: RequestRecord, slug: string) {
    const a = await admit(req, res, base, slug, 'v2');
    if (!a) return;
    sweep();
    const id = base.requestId;
    const entry = charge(a, id, 'v2');
    if (!entry) return insufficient(res, base, a);
    const acceptedAt = entry.acceptedAt;
    const queueMs = queueSeconds * latencyScale * 1000;
    const kind = a.fault?.kind;
    const job: Job = {
      id,
      apiKey: a.apiKey,
      model: a.model,
      prompt: a.prompt,
      seed: a.seed,
      width: a.size.width,
      height: a.size.height,
      gpuSeconds: a.gpuSeconds,
      costMicros: a.costMicros,
      format: a.body.output_format === 'png' ? 'png' : 'jpg',
      acceptedAt,
      startAt: acceptedAt + queueMs,
      doneAt: acceptedAt + queueMs + latencyOf(a.model, a.gpuSeconds) * 1000,
      ...(kind ? { fault: kind } : {}),
      ...(kind && MEDIA_FAULTS.has(kind) ? { mediaFault: kind } : {}),
      expired: false,
    };
    jobs.set(id, job);
    renderAdmitted(a, job.format).then(
      (image) => {
        job.image = image;
        // Settle the billing entry on time even if nobody polls (a no-op until doneAt on the clock).
        const wait = Math.max(0, job.doneAt - now());
        setTimeout(() => refresh(job), wait).unref();
        refresh(job);
      },
      (err: unknown) => {
        job.renderError = (err as Error).message;
        refresh(job);
      }
    );
    sendJson(
      res,
      200,
      { request_id: id, status: 'QUEUED', ...jobUrls(id) },
      { 'x-request-id': id, 'x-remaining-credits': usdString(entry.creditsAfterMicros) }
    );
    record({
      ...base,
      status: 200,
      outcome: 'accepted',
      ...(kind ? { fault: kind } : {}),
      costMicros: a.costMicros,
    });
  }

  function handleRequests(
    req: IncomingMessage,
    res: ServerResponse,
    base: RequestRecord,
    id: string,
    statusOnly: boolean
  ) {
    base.requestId = id;
    const fail = (status: number, message: string) => {
      sendError(res, status, message, { 'x-request-id': id });
      record({ ...base, status, outcome: 'error', error: message });
    };
    if (req.method !== 'GET') {
      sendMethodNotAllowed(res, req.method ?? '', { allow: 'GET' });
      record({ ...base, status: 405, outcome: 'error', error: 'Method Not Allowed' });
      return;
    }
    const auth = authorize(req);
    if ('error' in auth) return fail(401, auth.error);
    const job = jobs.get(id);
    // Another key's job is as invisible as one that never existed.
    if (!job || job.apiKey !== auth.key) return fail(404, `Request ${id} not found`);
    Object.assign(base, { model: job.model, prompt: job.prompt, seed: job.seed });
    const status = statusOf(job);
    if (job.expired)
      return fail(410, `Request ${id} has expired: results are kept for ${Math.round(resultTtlMs / 1000)} s`);
    if (statusOnly) {
      sendJson(res, 200, { request_id: id, status }, { 'x-request-id': id });
      record({ ...base, status: 200, outcome: 'ok' });
      return;
    }
    if (status === 'FAILED') {
      const error = job.renderError
        ? `Generation failed: ${job.renderError}`
        : 'Generation failed: the GPU worker ran out of memory (injected fault)';
      sendJson(res, 422, { request_id: id, status, error }, { 'x-request-id': id });
      record({ ...base, status: 422, outcome: 'error', fault: job.fault, error });
      return;
    }
    const headers = { 'x-request-id': id, 'x-remaining-credits': usdString(account.balanceMicros) };
    if (status !== 'COMPLETED') {
      sendJson(res, 200, { request_id: id, status }, headers);
      record({ ...base, status: 200, outcome: 'ok' });
      return;
    }
    sendJson(
      res,
      200,
      {
        request_id: id,
        status,
        output: mediaUrl(job),
        metrics: {
          gpu_seconds: job.gpuSeconds,
          cost_usd: usdNumber(job.costMicros),
          seed: job.seed,
          width: job.width,
          height: job.height,
          queued_seconds: (job.startAt - job.acceptedAt) / 1000,
          inference_seconds: (job.doneAt - job.startAt) / 1000,
        },
      },
      headers
    );
    record({ ...base, status: 200, outcome: 'ok', defect: job.image?.defect, ...lettering(job.image) });
  }

  async function handleMedia(req: IncomingMessage, res: ServerResponse, base: RequestRecord, id: string, ext: string) {
    base.requestId = id;
    const job = jobs.get(id);
    if (job) refresh(job);
    if (req.method !== 'GET') {
      sendMethodNotAllowed(res, req.method ?? '', { allow: 'GET' });
      record({ ...base, status: 405, outcome: 'error', error: 'Method Not Allowed' });
      return;
    }
    if (!job || job.expired || !job.image || job.format !== ext || statusOf(job) !== 'COMPLETED') {
      // What an object store says for a missing (or already deleted) key.
      const xml =
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>';
      res.writeHead(404, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
      res.end(xml);
      record({ ...base, status: 404, outcome: 'error', error: 'NoSuchKey' });
      return;
    }
    Object.assign(base, { model: job.model, prompt: job.prompt, seed: job.seed });
    const image = job.image;
    const fault = job.mediaFault;
    job.mediaFault = undefined; // a CDN hiccup: the next download is clean
    const done = { ...base, status: 200, defect: image.defect, ...lettering(image) };
    switch (fault) {
      case 'junk-200':
        sendJunk200(res);
        record({ ...done, outcome: 'junk', fault });
        return;
      case 'oversized':
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        record({ ...done, outcome: 'oversized', fault });
        await streamFiller(res, oversizedBytes, closing.signal);
        return;
      case 'huge-image':
        record({ ...done, outcome: 'oversized', fault });
        await sendHugeImage(res, {});
        return;
      default:
        break;
    }
    res.writeHead(200, {
      'content-type': image.contentType,
      'content-length': image.bytes.length,
      'cache-control': 'public, max-age=3600',
    });
    if (fault === 'truncate') {
      record({ ...done, outcome: 'truncated', fault });
      res.write(image.bytes.subarray(0, Math.floor(image.bytes.length / 2)), () => res.socket?.destroy());
      return;
    }
    if (fault === 'slow-drip') {
      record({ ...done, outcome: 'slow-drip', fault });
      await dripBody(res, image.bytes, dripBytesPerSecond, closing.signal);
      return;
    }
    record({ ...done, outcome: 'ok' });
    res.end(image.bytes);
  }

  function handleCredits(req: IncomingMessage, res: ServerResponse, base: RequestRecord) {
    if (req.method !== 'GET') {
      sendMethodNotAllowed(res, req.method ?? '', { allow: 'GET' });
      record({ ...base, status: 405, outcome: 'error', error: 'Method Not Allowed' });
      return;
    }
    const auth = authorize(req);
    if ('error' in auth) {
      sendError(res, 401, auth.error);
      record({ ...base, status: 401, outcome: 'error', error: auth.error });
      return;
    }
    sweep();
    sendJson(
      res,
      200,
      { credits: usdNumber(account.balanceMicros), 'free-credits': 0 },
      { 'x-remaining-credits': usdString(account.balanceMicros) }
    );
    record({ ...base, status: 200, outcome: 'ok' });
  }

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const base: RequestRecord = {
      requestId: randomUUID(),
      method: req.method ?? '',
      path,
      status: null,
      outcome: 'error',
      costMicros: 0,
    };
    let work: Promise<unknown>;
    let m: RegExpExecArray | null;
    if (/^\/v1\/get-user-credits\/?$/.test(path)) {
      work = Promise.resolve(handleCredits(req, res, { ...base, api: 'v1' }));
    } else if ((m = /^\/v1\/([^/]+)\/?$/.exec(path))) {
      work = handleV1(req, res, { ...base, api: 'v1' }, decodeURIComponent(m[1]!));
    } else if ((m = MEDIA_ROUTE.exec(path))) {
      work = handleMedia(req, res, { ...base, api: 'v2' }, m[1]!, m[2]!);
    } else if ((m = REQUESTS_ROUTE.exec(path))) {
      work = Promise.resolve(handleRequests(req, res, { ...base, api: 'v2' }, decodeURIComponent(m[1]!), !!m[2]));
    } else if ((m = /^\/v2\/([^/]+)\/?$/.exec(path))) {
      work = submitV2(req, res, { ...base, api: 'v2' }, decodeURIComponent(m[1]!));
    } else if (path.startsWith('/_emulator/')) work = handleControl(req, res, path, control);
    else {
      sendError(res, 404, `Not found: ${path}`);
      return;
    }
    work.catch((err: unknown) => {
      if (!res.headersSent) sendError(res, 500, `Internal Server Error: ${(err as Error).message}`);
      else res.destroy();
    });
  });
  // Longer than undici's keep-alive so pooled connections are not closed under a client's feet.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  url = `http://${host}:${address.port}`;

  const control: Emulator = {
    url,
    port: address.port,
    apiKey: [...apiKeys][0] ?? DEFAULT_EMULATOR_API_KEY,
    faults,
    billing: () => {
      sweep();
      return account.entries();
    },
    totalBilledMicros: () => account.totalChargedMicros(),
    credits: () => account.balanceMicros,
    setCredits: (micros) => account.setCredits(micros),
    requests: () => records.map((r) => ({ ...r })),
    outputSize: (model, body) => sizes.sizeFor(model, body),
    jobStatus: (id) => {
      const job = jobs.get(id);
      if (!job) return undefined;
      const status = statusOf(job);
      return job.expired ? undefined : status;
    },
    reset: (opts = {}) => {
      account.reset(opts.creditsMicros);
      records = [];
      jobs = new Map();
      limiter.reset();
      nextSeed = mulberry32(options.seed ?? 0);
      const initial = options.faults ?? {};
      faults.configure({
        script: initial.script ?? [],
        random: initial.random ?? null,
        retryAfterSeconds: initial.retryAfterSeconds ?? 1,
      });
    },
    close: async () => {
      closing.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
  return control;
}

export type { BillingEntry } from './billing.js';
export type { FaultApi, FaultConfig, FaultKind } from './faults.js';
export type { EmulatedModel } from './models.js';
export type { OutputSizeOptions, Size } from './sizes.js';
export type { Defect } from './quality.js';

/** `$1.234567` for logs and error messages. */
/** The `renderedText` field of a request record, when the image carries lettering. */
function lettering(image: RenderedImage | undefined): { renderedText?: string } {
  return image?.renderedText === undefined ? {} : { renderedText: image.renderedText };
}

function usdLabel(micros: number): string {
  return `$${usdString(micros)}`;
}
