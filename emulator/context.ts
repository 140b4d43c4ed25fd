/**
 * The state every route shares: the options as given, the clock, billing, the rate limiter, the
 * v2 job table, the request log and the faults. One EmulatorContext per emulator; the route
 * modules (routes/*.ts) receive it instead of closing over it.
 */
import type { IncomingMessage } from 'node:http';
import { Account } from './billing.js';
import { FaultController, type FaultApi, type FaultConfig, type FaultKind } from './faults.js';
import { JobTable } from './job-table.js';
import { usdString, type EmulatedModel } from './models.js';
import { mulberry32 } from './prng.js';
import { checkRate, type Defect } from './quality.js';
import { RateLimiter } from './rate-limit.js';
import type { DraftRates, RenderedImage } from './render.js';
import { SizeTable, type OutputSizeOptions } from './sizes.js';

/** Not a real key format on purpose (real keys are `SG_` + hex). */
export const DEFAULT_EMULATOR_API_KEY = 'emulator-local-key';
export const DEFAULT_EMULATOR_PORT = 8787;
const DEFAULT_CREDITS_MICROS = 100_000_000;
const DEFAULT_BLOCKLIST: readonly string[] = ['gore', 'nsfw', 'nude', 'porn'];
const DEFAULT_RESULT_TTL_MS = 60 * 60 * 1000;
const DEFAULT_RATE_WINDOW_MS = 60_000;
const DEFAULT_QUEUE_SECONDS = 1;
const DEFAULT_DRIP_BYTES_PER_SECOND = 2_048;
const DEFAULT_OVERSIZED_BYTES = 40 * 1024 * 1024;

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
  /**
   * Share of draft-model images (flux-schnell, flux-dev) with a pixel defect, 0–1; default 0.6
   * (quality.ts: the defects keep their relative weights). Pro models stay clean.
   */
  draftDefectRate?: number;
  /** Share of draft-model images whose quoted lettering is misspelt, 0–1; default 0.4 (lettering.ts). */
  misspellingRate?: number;
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

function blocklistPattern(words: readonly string[]): RegExp | undefined {
  const escaped = words.filter((w) => w.trim() !== '').map((w) => w.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return escaped.length > 0 ? new RegExp(`\\b(${escaped.join('|')})\\b`, 'i') : undefined;
}

/** A host name or bracketed IPv6 literal, with an optional port: nothing that could bend a URL. */
const HOST_HEADER =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

export class EmulatorContext {
  readonly now: () => number;
  readonly apiKeys: ReadonlySet<string>;
  readonly account: Account;
  readonly faults: FaultController;
  readonly limiter: RateLimiter;
  readonly sizes: SizeTable;
  readonly jobs: JobTable;
  readonly blocked: RegExp | undefined;
  readonly latencyScale: number;
  readonly queueSeconds: number;
  readonly resultTtlMs: number;
  readonly dripBytesPerSecond: number;
  readonly oversizedBytes: number;
  /** The draft quality settings every render uses (unset fields keep the defaults). */
  readonly draftRates: DraftRates;
  /** Aborted by close(): ends hangs, drips, filler streams and simulated waits. */
  readonly closing = new AbortController();
  /** `http://{bound address}:{port}`, set once listening. */
  boundUrl = '';
  private records: RequestRecord[] = [];
  private nextSeed: () => number;
  private readonly log: (line: string) => void;

  constructor(readonly options: EmulatorOptions) {
    this.now = options.now ?? Date.now;
    this.apiKeys = new Set(options.apiKeys ?? [DEFAULT_EMULATOR_API_KEY]);
    this.account = new Account(options.creditsMicros ?? DEFAULT_CREDITS_MICROS, this.now);
    this.faults = new FaultController(options.faults);
    this.limiter = new RateLimiter(options.rpm, options.rateWindowMs ?? DEFAULT_RATE_WINDOW_MS, this.now);
    this.sizes = new SizeTable(options.outputSizes);
    this.resultTtlMs = options.resultTtlMs ?? DEFAULT_RESULT_TTL_MS;
    this.jobs = new JobTable(this.now, this.resultTtlMs, (id, outcome) => this.account.settle(id, outcome));
    this.blocked = blocklistPattern(options.blocklist ?? DEFAULT_BLOCKLIST);
    this.latencyScale = options.latencyScale ?? 0;
    this.queueSeconds = options.queueSeconds ?? DEFAULT_QUEUE_SECONDS;
    this.dripBytesPerSecond = options.dripBytesPerSecond ?? DEFAULT_DRIP_BYTES_PER_SECOND;
    this.oversizedBytes = options.oversizedBytes ?? DEFAULT_OVERSIZED_BYTES;
    // Checked here, so a bad value stops the emulator at creation rather than failing every render.
    this.draftRates = {
      ...(options.draftDefectRate === undefined
        ? {}
        : { defectRate: checkRate('draftDefectRate', options.draftDefectRate) }),
      ...(options.misspellingRate === undefined
        ? {}
        : { misspellingRate: checkRate('misspellingRate', options.misspellingRate) }),
    };
    this.nextSeed = mulberry32(options.seed ?? 0);
    this.log = options.log ?? (() => {});
  }

  /** Logs a request and keeps it for requests(); later changes to the object show in the log. */
  record(r: RequestRecord): void {
    this.records.push(r);
    this.log(
      `${r.method} ${r.path} ${r.status ?? '-'} ${r.outcome}${r.fault ? ` fault=${r.fault}` : ''}` +
        `${r.defect && r.defect !== 'clean' ? ` defect=${r.defect}` : ''}${r.costMicros ? ` cost=${usdLabel(r.costMicros)}` : ''}`
    );
  }

  requests(): RequestRecord[] {
    return this.records.map((r) => ({ ...r }));
  }

  /** A seed for a body that has none: a fixed sequence from `options.seed`. */
  drawSeed(): number {
    return Math.floor(this.nextSeed() * 4_294_967_296);
  }

  /** Simulated generation time in seconds (GPU time or the configured latency, × latencyScale). */
  latencyOf(model: EmulatedModel, gpuSeconds: number): number {
    return (this.options.latencySeconds?.[model] ?? gpuSeconds) * this.latencyScale;
  }

  /** Answers 401 unless the request carries an accepted x-api-key; returns the key. */
  authorize(req: IncomingMessage): { key: string } | { error: string } {
    const key = req.headers['x-api-key'];
    if (key === undefined || key === '') {
      // A Bearer token is something, so it is "invalid" rather than "missing".
      if (req.headers.authorization) return { error: 'Unauthorized. API key is invalid or may have expired' };
      return { error: 'Missing Authorization or x-api-key in header' };
    }
    if (typeof key !== 'string' || !this.apiKeys.has(key)) {
      return { error: 'Unauthorized. API key is invalid or may have expired' };
    }
    return { key };
  }

  /**
   * The origin for absolute URLs in answers: the name the client reached us by (its Host header),
   * as a service behind a DNS name does. The bound address is only the fallback: bound to
   * 0.0.0.0 (docker-compose) it is an address no client can fetch from.
   */
  originFor(req: IncomingMessage): string {
    const host = req.headers.host;
    return host !== undefined && HOST_HEADER.test(host) ? `http://${host}` : this.boundUrl;
  }

  /** Back to the state at start; see Emulator.reset. */
  reset(creditsMicros?: number): void {
    this.account.reset(creditsMicros);
    this.records = [];
    this.jobs.clear();
    this.limiter.reset();
    this.nextSeed = mulberry32(this.options.seed ?? 0);
    const initial = this.options.faults ?? {};
    this.faults.configure({
      script: initial.script ?? [],
      random: initial.random ?? null,
      retryAfterSeconds: initial.retryAfterSeconds ?? 1,
    });
  }
}

/** `$1.234567` for logs and error messages. */
export function usdLabel(micros: number): string {
  return `$${usdString(micros)}`;
}

/** The `renderedText` field of a request record, when the image carries lettering. */
export function lettering(image: RenderedImage | undefined): { renderedText?: string } {
  return image?.renderedText === undefined ? {} : { renderedText: image.renderedText };
}
