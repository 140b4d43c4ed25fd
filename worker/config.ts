import { isIP } from 'node:net';
import { defaultOutDir, defaultStoreDir } from '../node/paths.js';
import type { Transport } from '../activities/generate-candidate.js';
import { invalidParameter, parseInteger } from '../shared/validation.js';
import { DEFAULT_SEGMIND_BASE_URL } from '../activities/segmind/client.js';
import { taskQueueFromEnv } from '../shared/task-queues.js';
import { hostAllowlist, isLoopbackHost, settingList } from '../node/outbound.js';

/** Worker settings, all from the environment so the API key never travels through Temporal. */
export interface WorkerConfig {
  taskQueue: string;
  storeDir: string;
  /** Root of the per-batch output folders. */
  outDir: string;
  /** `mediaHosts`: THUMBGATE_MEDIA_HOSTS, where v2 results' media may be besides the base URL's host. */
  segmind: { apiKey: string; baseUrl: string; mediaHosts: string[] };
  /** THUMBGATE_CALLBACK_HOSTS: `--notify-url` hosts (or host:port) allowed at private or loopback addresses. */
  callbackHosts: string[];
  /** Provider calls in flight per worker (I/O-bound). */
  maxConcurrentGenerations: number;
  /** SEGMIND_API: `v2` async (default; Segmind's recommendation) or `v1` sync (maintenance mode). */
  transport: Transport;
  /** THUMBGATE_SEGMIND_RPM: the plan's requests per minute, for all workers together (Free 5, Pro 50). */
  providerRpm: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const parsed = parseInteger(name, raw, { min: 1 });
  if (typeof parsed !== 'number') throw new ConfigError(parsed.problem);
  return parsed;
}

function transportOf(raw: string | undefined): Transport {
  const value = (raw ?? 'v2').trim().toLowerCase();
  if (value === 'v1' || value === 'v2') return value;
  throw new ConfigError(invalidParameter('SEGMIND_API', '"v2" (async, the default) or "v1" (sync)', raw));
}

/** Where the worker serves Prometheus metrics, and the settings that asked for it (errors name them). */
export interface MetricsSetting {
  port: number;
  setting: '--metrics-port' | 'THUMBGATE_METRICS_PORT';
  /** The IP address the exporter binds; 127.0.0.1 unless --metrics-host / THUMBGATE_METRICS_HOST says otherwise. */
  host: string;
}

/**
 * Loopback by default: the endpoint has no authentication and names batches' task queues, so it is
 * served beyond this host only when asked (compose sets 0.0.0.0 on the network Prometheus scrapes).
 */
const DEFAULT_METRICS_HOST = '127.0.0.1';

/** `--metrics-host` (over THUMBGATE_METRICS_HOST): an IP literal, as the SDK's exporter binds a socket address. */
function metricsHost(env: NodeJS.ProcessEnv, flag: string | undefined): string {
  const setting = flag !== undefined ? '--metrics-host' : 'THUMBGATE_METRICS_HOST';
  const raw = flag ?? env.THUMBGATE_METRICS_HOST;
  if (raw === undefined || (flag === undefined && raw.trim() === '')) return DEFAULT_METRICS_HOST;
  const host = raw.trim();
  if (isIP(host) === 0) {
    throw new ConfigError(
      invalidParameter(
        setting,
        'an IP address to bind (127.0.0.1, the default, for this host only; 0.0.0.0 in a container whose network ' +
          'Prometheus scrapes)',
        raw
      )
    );
  }
  return host;
}

/**
 * `--metrics-port` (over THUMBGATE_METRICS_PORT); undefined, the default, runs without metrics. The
 * address comes from `--metrics-host` / THUMBGATE_METRICS_HOST (default 127.0.0.1).
 */
export function metricsSetting(
  env: NodeJS.ProcessEnv,
  flag: string | undefined,
  hostFlag?: string
): MetricsSetting | undefined {
  const setting = flag !== undefined ? '--metrics-port' : 'THUMBGATE_METRICS_PORT';
  const raw = flag ?? env.THUMBGATE_METRICS_PORT;
  // An empty variable is how compose leaves a setting unset; an empty flag is a mistake.
  if (raw === undefined || (flag === undefined && raw.trim() === '')) return undefined;
  const port = parseInteger(setting, raw, { min: 1, max: 65535, note: 'the TCP port Prometheus scrapes, e.g. 9464' });
  if (typeof port !== 'number') throw new ConfigError(`${port.problem}; leave it unset to run without metrics`);
  return { port, setting, host: metricsHost(env, hostFlag) };
}

export type WorkerRole = 'generation' | 'scoring';

/** THUMBGATE_WORKER_ROLES: which workers this process runs (default both). */
export function workerRoles(env: NodeJS.ProcessEnv = process.env): Set<WorkerRole> {
  const raw = env.THUMBGATE_WORKER_ROLES ?? 'generation,scoring';
  const roles = raw
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const bad = roles.filter((r) => r !== 'generation' && r !== 'scoring');
  if (roles.length === 0 || bad.length > 0) {
    throw new ConfigError(`THUMBGATE_WORKER_ROLES must list generation and/or scoring, got ${JSON.stringify(raw)}`);
  }
  return new Set(roles as WorkerRole[]);
}

/**
 * The emulator's default key (emulator/server.ts DEFAULT_EMULATOR_API_KEY; test/worker-config.test.ts
 * keeps them equal). Public, so sending it over http gives nothing away. Not imported: the worker does
 * not load the emulator.
 */
const EMULATOR_PUBLIC_KEY = 'emulator-local-key';

/** THUMBGATE_ALLOW_INSECURE_PROVIDER: the one value that lets a key travel over plain http to a non-loopback host. */
const INSECURE_PROVIDER_OPT_IN = 'emulator';

/**
 * THUMBGATE_MEDIA_HOSTS (host names or `*.suffix`) or THUMBGATE_CALLBACK_HOSTS (also `host:port`):
 * comma-separated allowlists of node/outbound.ts, checked here so a typo stops the worker at start-up.
 */
export function hostListSetting(
  env: NodeJS.ProcessEnv,
  name: 'THUMBGATE_MEDIA_HOSTS' | 'THUMBGATE_CALLBACK_HOSTS'
): string[] {
  const entries = settingList(env[name]);
  try {
    hostAllowlist(name, entries, { ports: name === 'THUMBGATE_CALLBACK_HOSTS' });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  return entries;
}

/**
 * The Segmind key is sent in a header on every call, so it only travels over https — except to this
 * machine (a loopback host: the demo's and the tests' emulator), with the emulator's own public key
 * (docker-compose's emulator service), or when THUMBGATE_ALLOW_INSECURE_PROVIDER=emulator says the http
 * endpoint is an emulator. A real key with an http URL elsewhere is refused before anything is sent.
 */
function assertSafeProviderUrl(env: NodeJS.ProcessEnv, url: URL, apiKey: string): void {
  const optIn = env.THUMBGATE_ALLOW_INSECURE_PROVIDER?.trim();
  if (optIn !== undefined && optIn !== '' && optIn !== INSECURE_PROVIDER_OPT_IN) {
    throw new ConfigError(
      invalidParameter('THUMBGATE_ALLOW_INSECURE_PROVIDER', `"${INSECURE_PROVIDER_OPT_IN}" or unset`, optIn)
    );
  }
  if (url.protocol === 'https:') return;
  if (url.protocol !== 'http:') {
    throw new ConfigError(
      `SEGMIND_BASE_URL must be an https:// URL such as ${DEFAULT_SEGMIND_BASE_URL}, got ${url.protocol}`
    );
  }
  if (isLoopbackHost(url.hostname) || apiKey === EMULATOR_PUBLIC_KEY || optIn === INSECURE_PROVIDER_OPT_IN) return;
  throw new ConfigError(
    `SEGMIND_BASE_URL ${url.origin} is plain http: the SEGMIND_API_KEY would be sent unencrypted. ` +
      `Use ${DEFAULT_SEGMIND_BASE_URL} for the real API, or — only if that address is the thumbgate emulator — ` +
      `set THUMBGATE_ALLOW_INSECURE_PROVIDER=${INSECURE_PROVIDER_OPT_IN}`
  );
}

export function loadWorkerConfig(
  env: NodeJS.ProcessEnv = process.env,
  { needsProvider = true }: { needsProvider?: boolean } = {}
): WorkerConfig {
  const apiKey = env.SEGMIND_API_KEY ?? '';
  if (needsProvider && apiKey.trim() === '') {
    throw new ConfigError(
      'SEGMIND_API_KEY is not set: export your Segmind key in the worker environment ' +
        '(or run `npm run demo`, which starts a local emulator and sets it for you)'
    );
  }
  const baseUrl = env.SEGMIND_BASE_URL ?? DEFAULT_SEGMIND_BASE_URL;
  try {
    new URL(baseUrl);
  } catch {
    throw new ConfigError(
      `SEGMIND_BASE_URL must be an absolute URL such as ${DEFAULT_SEGMIND_BASE_URL}, got ${JSON.stringify(baseUrl)}`
    );
  }
  if (needsProvider) assertSafeProviderUrl(env, new URL(baseUrl), apiKey.trim());
  return {
    taskQueue: taskQueueFromEnv(env),
    storeDir: defaultStoreDir(env),
    outDir: defaultOutDir(env),
    segmind: { apiKey: apiKey.trim(), baseUrl, mediaHosts: hostListSetting(env, 'THUMBGATE_MEDIA_HOSTS') },
    callbackHosts: hostListSetting(env, 'THUMBGATE_CALLBACK_HOSTS'),
    maxConcurrentGenerations: positiveInt(env, 'THUMBGATE_MAX_GENERATIONS', 32),
    transport: transportOf(env.SEGMIND_API),
    providerRpm: positiveInt(env, 'THUMBGATE_SEGMIND_RPM', 50),
  };
}
