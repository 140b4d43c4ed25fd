/**
 * Fault injection. Two sources, consulted for every request that passed auth, content type,
 * validation and content policy (so a bad request stays a bad request):
 *
 * - a script: faults consumed in request order; each entry may be limited to a model or to
 *   prompts containing a substring, and may repeat (`times`). The first matching entry wins.
 * - random: per-kind rates with a seed. The draw for a request is a hash of (seed, model, body,
 *   n-th time this exact body was sent), not of arrival order, so a concurrent pipeline sees
 *   the same faults on every run with the same seed, and a retry of a faulted call gets a
 *   fresh draw.
 *
 * The script is consulted first; random faults apply only when no scripted entry matched.
 *
 * Where each kind strikes (see docs/emulator.md):
 * - before acceptance, not billed: 500, 503, 429, 401, 406, hang, and junk-200 on v1
 *   (v2: all of these at submit, except junk-200)
 * - after acceptance, billed: truncate, slow-drip, oversized, huge-image (a small, valid PNG declaring
 *   20,000 × 20,000 pixels) (v1: the response; v2: the first download of the media URL), v2 junk-200
 *   (first media download), job-failed and expired (v2 only: the job ends FAILED / its result is
 *   already gone when it completes).
 * A v2-only kind never hits a v1 request: a scripted one waits for a v2 submit, a random draw of
 * one on v1 means no fault.
 */
import { isEmulatedModel, type EmulatedModel } from './models.js';
import { unitFloat } from './prng.js';

/** New kinds are appended, so random draws for configs using the old kinds are unchanged. */
export const FAULT_KINDS = [
  '500',
  '503',
  '429',
  'hang',
  'truncate',
  '401',
  '406',
  'junk-200',
  'slow-drip',
  'oversized',
  'job-failed',
  'expired',
  'huge-image',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export type FaultApi = 'v1' | 'v2';

/** Kinds that only make sense for an async job. */
export const V2_ONLY_FAULTS: ReadonlySet<FaultKind> = new Set(['job-failed', 'expired']);
/** v2: kinds applied to the first download of the job's media URL. */
export const MEDIA_FAULTS: ReadonlySet<FaultKind> = new Set([
  'truncate',
  'junk-200',
  'slow-drip',
  'oversized',
  'huge-image',
]);

export interface ScriptedFault {
  kind: FaultKind;
  /** Only requests to this model. */
  model?: EmulatedModel;
  /** Only requests whose prompt contains this (case-sensitive). */
  promptIncludes?: string;
  /** Only requests through this API (`v1` sync or `v2` async). */
  api?: FaultApi;
  /** How many matching requests it hits; default 1. */
  times?: number;
  /** For 429: overrides the controller's Retry-After. */
  retryAfterSeconds?: number;
}

export interface RandomFaults {
  seed: number;
  /** Probability per kind; the sum must be ≤ 1. */
  rates: Partial<Record<FaultKind, number>>;
  model?: EmulatedModel;
  api?: FaultApi;
  promptIncludes?: string;
}

export interface FaultConfig {
  /** Replaces the script (an empty list clears it). */
  script?: ScriptedFault[];
  /** Replaces the random config; null turns random faults off. */
  random?: RandomFaults | null;
  /** Retry-After for 429s, in seconds (default 1). */
  retryAfterSeconds?: number;
}

export interface FaultDecision {
  kind: FaultKind;
  source: 'script' | 'random';
  retryAfterSeconds: number;
}

export interface FaultRequest {
  model: EmulatedModel;
  prompt: string;
  /** Default v1. */
  api?: FaultApi;
  /** Canonical JSON of the body: identifies "the same request" for random draws. */
  bodyKey: string;
}

export class FaultConfigError extends Error {
  override name = 'FaultConfigError';
}

function isKind(value: unknown): value is FaultKind {
  return typeof value === 'string' && (FAULT_KINDS as readonly string[]).includes(value);
}

function checkFilter(where: string, model: unknown, promptIncludes: unknown, api?: unknown): void {
  if (api !== undefined && api !== 'v1' && api !== 'v2') {
    throw new FaultConfigError(`${where}.api must be "v1" or "v2", got ${JSON.stringify(api)}`);
  }
  if (model !== undefined && !isEmulatedModel(model)) {
    throw new FaultConfigError(`${where}.model is not a known model: ${JSON.stringify(model)}`);
  }
  if (promptIncludes !== undefined && typeof promptIncludes !== 'string') {
    throw new FaultConfigError(`${where}.promptIncludes must be a string`);
  }
}

/** Checks a config that may have come over HTTP; throws FaultConfigError naming the field. */
export function parseFaultConfig(raw: unknown): FaultConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new FaultConfigError('fault config must be a JSON object');
  }
  const cfg = raw as Record<string, unknown>;
  for (const key of Object.keys(cfg)) {
    if (!['script', 'random', 'retryAfterSeconds'].includes(key)) throw new FaultConfigError(`unknown field ${key}`);
  }
  if (cfg.retryAfterSeconds !== undefined) {
    if (typeof cfg.retryAfterSeconds !== 'number' || !(cfg.retryAfterSeconds >= 0)) {
      throw new FaultConfigError('retryAfterSeconds must be a non-negative number');
    }
  }
  if (cfg.script !== undefined) {
    if (!Array.isArray(cfg.script)) throw new FaultConfigError('script must be an array');
    cfg.script.forEach((entry: unknown, i) => {
      const e = (entry ?? {}) as Record<string, unknown>;
      if (!isKind(e.kind)) throw new FaultConfigError(`script[${i}].kind must be one of ${FAULT_KINDS.join(', ')}`);
      checkFilter(`script[${i}]`, e.model, e.promptIncludes, e.api);
      if (e.times !== undefined && (!Number.isInteger(e.times) || (e.times as number) < 1)) {
        throw new FaultConfigError(`script[${i}].times must be a positive integer`);
      }
      if (e.retryAfterSeconds !== undefined && (typeof e.retryAfterSeconds !== 'number' || e.retryAfterSeconds < 0)) {
        throw new FaultConfigError(`script[${i}].retryAfterSeconds must be a non-negative number`);
      }
    });
  }
  if (cfg.random !== undefined && cfg.random !== null) {
    const r = cfg.random as Record<string, unknown>;
    if (typeof r !== 'object' || !Number.isInteger(r.seed))
      throw new FaultConfigError('random.seed must be an integer');
    checkFilter('random', r.model, r.promptIncludes, r.api);
    const rates = (r.rates ?? {}) as Record<string, unknown>;
    let sum = 0;
    for (const [kind, rate] of Object.entries(rates)) {
      if (!isKind(kind))
        throw new FaultConfigError(`random.rates.${kind} is not a fault kind (${FAULT_KINDS.join(', ')})`);
      if (typeof rate !== 'number' || rate < 0 || rate > 1) {
        throw new FaultConfigError(`random.rates.${kind} must be a number from 0 to 1`);
      }
      sum += rate;
    }
    if (sum > 1 + 1e-9) throw new FaultConfigError(`random.rates must sum to at most 1, got ${sum}`);
  }
  return cfg;
}

function matches(
  filter: { model?: EmulatedModel; promptIncludes?: string; api?: FaultApi },
  req: FaultRequest
): boolean {
  if (filter.api !== undefined && filter.api !== (req.api ?? 'v1')) return false;
  if (filter.model !== undefined && filter.model !== req.model) return false;
  if (filter.promptIncludes !== undefined && !req.prompt.includes(filter.promptIncludes)) return false;
  return true;
}

export class FaultController {
  private scriptQueue: Array<ScriptedFault & { remaining: number }> = [];
  private randomFaults: RandomFaults | undefined;
  private retryAfter: number;
  private attempts = new Map<string, number>();

  constructor(config: FaultConfig = {}) {
    this.retryAfter = config.retryAfterSeconds ?? 1;
    this.configure(config);
  }

  /** Applies a config: fields present replace the current ones, absent fields are kept. */
  configure(config: FaultConfig): void {
    const cfg = parseFaultConfig(config);
    if (cfg.retryAfterSeconds !== undefined) this.retryAfter = cfg.retryAfterSeconds;
    if (cfg.script !== undefined) this.scriptQueue = [];
    if (cfg.script) this.script(...cfg.script);
    if (cfg.random !== undefined) this.setRandom(cfg.random ?? undefined);
  }

  /** Appends scripted faults. */
  script(...faults: ScriptedFault[]): void {
    parseFaultConfig({ script: faults });
    for (const f of faults) this.scriptQueue.push({ ...f, remaining: f.times ?? 1 });
  }

  setRandom(random: RandomFaults | undefined): void {
    if (random) parseFaultConfig({ random });
    this.randomFaults = random ? { ...random, rates: { ...random.rates } } : undefined;
    this.attempts.clear();
  }

  set retryAfterSeconds(seconds: number) {
    parseFaultConfig({ retryAfterSeconds: seconds });
    this.retryAfter = seconds;
  }

  get retryAfterSeconds(): number {
    return this.retryAfter;
  }

  /** Scripted faults not yet consumed, with how many hits each has left in `times`. */
  pending(): ScriptedFault[] {
    return this.scriptQueue.map(({ remaining, ...f }) => ({ ...f, times: remaining }));
  }

  snapshot(): { script: ScriptedFault[]; random: RandomFaults | null; retryAfterSeconds: number } {
    return { script: this.pending(), random: this.randomFaults ?? null, retryAfterSeconds: this.retryAfter };
  }

  /** Removes the script and random faults (Retry-After keeps its value). */
  clear(): void {
    this.scriptQueue = [];
    this.setRandom(undefined);
  }

  /** Decides the fault for one request, consuming a scripted entry if one matches. */
  next(req: FaultRequest): FaultDecision | undefined {
    const api = req.api ?? 'v1';
    const i = this.scriptQueue.findIndex((f) => matches(f, req) && (api === 'v2' || !V2_ONLY_FAULTS.has(f.kind)));
    if (i >= 0) {
      const f = this.scriptQueue[i]!;
      if (--f.remaining <= 0) this.scriptQueue.splice(i, 1);
      return { kind: f.kind, source: 'script', retryAfterSeconds: f.retryAfterSeconds ?? this.retryAfter };
    }
    const r = this.randomFaults;
    if (!r || !matches(r, req)) return undefined;
    const key = `${req.model}\u0000${req.bodyKey}`;
    const attempt = this.attempts.get(key) ?? 0;
    this.attempts.set(key, attempt + 1);
    const u = unitFloat('fault', r.seed, req.model, req.bodyKey, attempt);
    let acc = 0;
    for (const kind of FAULT_KINDS) {
      acc += r.rates[kind] ?? 0;
      if (u < acc) {
        if (api === 'v1' && V2_ONLY_FAULTS.has(kind)) return undefined;
        return { kind, source: 'random', retryAfterSeconds: this.retryAfter };
      }
    }
    return undefined;
  }
}
