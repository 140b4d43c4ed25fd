/**
 * A local HTTP server that speaks Segmind's synchronous v1 API for the five Flux models:
 * `POST /v1/{model}` with `x-api-key`, JSON body in, image bytes and accounting headers out.
 * Validation and prices come from shared/ (the same tables the pipeline uses), so the emulator
 * cannot drift from what the client sends or what the ledger expects.
 *
 * Request handling order: route → method → auth → content type → JSON → parameters → content
 * policy → injected fault → credits → (latency ∥ render) → charge → respond.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { expectedImageSize, validateRequestBody } from '../shared/generation-request.js';
import {
  PRICE_CARD,
  callCostMicros,
  expectedCostMicros,
  isFluxModel,
  type FluxModel,
  type OutputFormat,
} from '../shared/price-card.js';
import { Account, type BillingEntry } from './billing.js';
import { handleControl } from './control.js';
import { FaultController, type FaultConfig, type FaultDecision, type FaultKind } from './faults.js';
import { simulateGpuSeconds } from './gpu-time.js';
import { microsToUsdExact } from '../shared/price-card.js';
import { mulberry32 } from './prng.js';
import type { Defect } from './quality.js';
import { renderImage } from './render.js';
import { sendError, sendMethodNotAllowed, sendText } from './responses.js';

/** Not a real key format on purpose (real keys are `SG_` + hex). */
export const DEFAULT_EMULATOR_API_KEY = 'emulator-local-key';
export const DEFAULT_EMULATOR_PORT = 8787;
export const DEFAULT_CREDITS_MICROS = 100_000_000;
export const DEFAULT_BLOCKLIST: readonly string[] = ['gore', 'nsfw', 'nude', 'porn'];
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
   * (per-second models take their GPU-seconds, pro 3–5 s, ultra 6–10 s).
   */
  latencyScale?: number;
  /** Per-model latency in seconds at scale 1, replacing the simulated generation time. */
  latencySeconds?: Partial<Record<FluxModel, number>>;
  /** Whole words (case-insensitive) that get a prompt rejected; default DEFAULT_BLOCKLIST. */
  blocklist?: readonly string[];
  faults?: FaultConfig;
  /** Scale per-second GPU time by output megapixels relative to 1 MP; default false (size-independent). */
  scaleGpuTimeByMegapixels?: boolean;
  /** Seeds the seeds chosen for bodies that omit `seed` (default 0). */
  seed?: number;
  /** Called with one line per answered request (the CLI prints them). */
  log?: (line: string) => void;
}

export type RequestOutcome = 'ok' | 'truncated' | 'hang' | 'fault' | 'error' | 'client-closed';

/** Every request to /v1/*, billed or not. */
export interface RequestRecord {
  requestId: string;
  method: string;
  path: string;
  model?: FluxModel;
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
  costMicros: number;
  /** The error text sent, for failures. */
  error?: string;
}

export interface Emulator {
  /** Base URL, e.g. http://127.0.0.1:41234 (use as SEGMIND_BASE_URL). */
  readonly url: string;
  readonly port: number;
  readonly apiKey: string;
  readonly faults: FaultController;
  /** Billed calls in order (successes and truncations). */
  billing(): BillingEntry[];
  /** Sum of `billing()` costs. */
  totalBilledMicros(): number;
  /** Current balance in micro-dollars. */
  credits(): number;
  setCredits(micros: number): void;
  requests(): RequestRecord[];
  /**
   * Back to the state right after createEmulator: empty logs, the starting balance (or a new one,
   * which becomes the start), the faults given in the options and nothing else.
   */
  reset(options?: { creditsMicros?: number }): void;
  /** Stops listening and drops every connection, hanging ones included. */
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly plainText = false
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

export async function createEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const apiKeys = new Set(options.apiKeys ?? [DEFAULT_EMULATOR_API_KEY]);
  const account = new Account(options.creditsMicros ?? DEFAULT_CREDITS_MICROS);
  const faults = new FaultController(options.faults);
  const latencyScale = options.latencyScale ?? 0;
  const blocked = blocklistPattern(options.blocklist ?? DEFAULT_BLOCKLIST);
  let nextSeed = mulberry32(options.seed ?? 0);
  const log = options.log ?? (() => {});
  let records: RequestRecord[] = [];
  const closing = new AbortController();

  const record = (r: RequestRecord): void => {
    records.push(r);
    log(
      `${r.method} ${r.path} ${r.status ?? '-'} ${r.outcome}${r.fault ? ` fault=${r.fault}` : ''}` +
        `${r.defect && r.defect !== 'clean' ? ` defect=${r.defect}` : ''}${r.costMicros ? ` cost=${usdLabel(r.costMicros)}` : ''}`
    );
  };

  async function handleGenerate(req: IncomingMessage, res: ServerResponse, base: RequestRecord, slug: string) {
    const requestId = base.requestId;
    const fail = (status: number, message: string, extra: Partial<RequestRecord> = {}, plainText = false) => {
      if (plainText) sendText(res, status, message, { 'x-request-id': requestId });
      else sendError(res, status, message, { 'x-request-id': requestId });
      record({ ...base, status, outcome: 'error', error: message, ...extra });
    };
    if (req.method !== 'POST') {
      sendMethodNotAllowed(res, req.method ?? '', { 'x-request-id': requestId });
      record({ ...base, status: 405, outcome: 'error', error: 'Method Not Allowed' });
      return;
    }
    if (!isFluxModel(slug)) return fail(404, `Model ${slug} not found`);
    const model = slug;
    base.model = model;

    const key = req.headers['x-api-key'];
    if (key === undefined || key === '') {
      // A Bearer token is something, so it is "invalid" rather than "missing".
      if (req.headers.authorization) return fail(401, 'Unauthorized. API key is invalid or may have expired');
      return fail(401, 'Missing Authorization or x-api-key in header');
    }
    if (typeof key !== 'string' || !apiKeys.has(key)) {
      return fail(401, 'Unauthorized. API key is invalid or may have expired');
    }
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType !== 'application/json') return fail(406, 'Invalid content type', {}, true);

    let body: Record<string, unknown>;
    try {
      const raw = (await readBody(req)).toString('utf8');
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        return fail(400, 'Request body must be a JSON object');
      }
      body = parsed as Record<string, unknown>;
    } catch (err) {
      if (err instanceof HttpError) return fail(err.status, err.message);
      return fail(400, `Invalid JSON body: ${(err as Error).message}`);
    }
    const problems = validateRequestBody(model, body);
    if (problems.length > 0) return fail(400, problems.map((p) => p.message).join('; '));
    const prompt = body.prompt as string;
    base.prompt = prompt;
    const hit = blocked?.exec(prompt);
    if (hit) return fail(400, `Prompt rejected by content policy: the prompt contains "${hit[1]}"`);

    const seed = typeof body.seed === 'number' ? body.seed : Math.floor(nextSeed() * 4_294_967_296);
    base.seed = seed;
    const spec = PRICE_CARD[model];
    const steps = spec.steps ? ((body.steps as number | undefined) ?? spec.steps.default) : undefined;
    const { width, height } = expectedImageSize(model, body);
    const gpuSeconds = simulateGpuSeconds({ model, seed, width, height, steps }, options.scaleGpuTimeByMegapixels);
    const costMicros = callCostMicros(model, gpuSeconds);

    const fault: FaultDecision | undefined = faults.next({ model, prompt, bodyKey: canonicalJson(body) });
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
          const resetAt = new Date(Date.now() + fault.retryAfterSeconds * 1000).toISOString();
          sendError(res, 429, message, {
            'x-request-id': requestId,
            'retry-after': String(fault.retryAfterSeconds),
            'x-rate-limit-reset-at-utc': resetAt,
          });
          record({ ...base, status: 429, error: message, ...f });
          return;
        }
        case 'hang': {
          // Never answered; the socket stays open until the client gives up or close() runs.
          const hung: RequestRecord = { ...base, status: null, outcome: 'hang', fault: 'hang' };
          record(hung);
          res.once('close', () => (hung.clientClosedAt = Date.now()));
          return;
        }
        case 'truncate':
          break;
      }
    }

    const needMicros = Math.max(expectedCostMicros(model, steps), costMicros);
    const reservation = account.reserve(needMicros);
    if (!reservation) {
      return fail(
        406,
        `Insufficient credits: balance ${usdLabel(account.availableMicros)}, this call needs ${usdLabel(needMicros)}`,
        {},
        true
      );
    }

    // The client leaving before the image is ready cancels the job: nothing is billed.
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    const latencySeconds = (options.latencySeconds?.[model] ?? gpuSeconds) * latencyScale;
    const format: OutputFormat = body.output_format === 'png' ? 'png' : 'jpg';
    let image: Awaited<ReturnType<typeof renderImage>>;
    try {
      const signal = AbortSignal.any([gone.signal, closing.signal]);
      [image] = await Promise.all([
        renderImage({
          model,
          prompt,
          seed,
          width,
          height,
          format,
          quality: typeof body.output_quality === 'number' ? body.output_quality : undefined,
        }),
        latencySeconds > 0 ? sleep(latencySeconds * 1000, undefined, { signal }) : undefined,
      ]);
    } catch (err) {
      reservation.release();
      if (gone.signal.aborted || closing.signal.aborted) {
        record({ ...base, status: null, outcome: 'client-closed' });
        return;
      }
      return fail(500, `Internal Server Error: ${(err as Error).message}`);
    }
    if (gone.signal.aborted) {
      reservation.release();
      record({ ...base, status: null, outcome: 'client-closed' });
      return;
    }

    const truncate = fault?.kind === 'truncate';
    const entry = reservation.charge({
      requestId,
      model,
      seed,
      ...(steps !== undefined ? { steps } : {}),
      width,
      height,
      gpuSeconds,
      costMicros,
      outcome: truncate ? 'truncated' : 'ok',
    });
    res.writeHead(200, {
      'content-type': image.contentType,
      'content-length': image.bytes.length,
      'x-request-id': requestId,
      'x-cost': microsToUsdExact(costMicros),
      'x-remaining-credits': microsToUsdExact(entry.creditsAfterMicros),
      'x-generation-time': gpuSeconds.toFixed(3),
      'x-seed-value': String(seed),
    });
    record({
      ...base,
      status: 200,
      outcome: truncate ? 'truncated' : 'ok',
      ...(truncate ? { fault: 'truncate' as const } : {}),
      defect: image.defect,
      costMicros,
    });
    if (!truncate) {
      res.end(image.bytes);
      return;
    }
    // Half the promised bytes, then a dropped connection: the client sees a short body.
    res.write(image.bytes.subarray(0, Math.floor(image.bytes.length / 2)), () => res.socket?.destroy());
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
    const v1 = /^\/v1\/([^/]+)\/?$/.exec(path);
    let work: Promise<unknown>;
    if (v1) work = handleGenerate(req, res, base, decodeURIComponent(v1[1]!));
    else if (path.startsWith('/_emulator/')) work = handleControl(req, res, path, control);
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
  const url = `http://${host}:${address.port}`;

  const control: Emulator = {
    url,
    port: address.port,
    apiKey: [...apiKeys][0] ?? DEFAULT_EMULATOR_API_KEY,
    faults,
    billing: () => account.entries(),
    totalBilledMicros: () => account.totalChargedMicros(),
    credits: () => account.balanceMicros,
    setCredits: (micros) => account.setCredits(micros),
    requests: () => records.map((r) => ({ ...r })),
    reset: (opts = {}) => {
      account.reset(opts.creditsMicros);
      records = [];
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
export type { FaultConfig, FaultKind, RandomFaults, ScriptedFault } from './faults.js';
export type { Defect } from './quality.js';

/** `$1.234567` for logs and error messages. */
function usdLabel(micros: number): string {
  return `$${microsToUsdExact(micros)}`;
}
