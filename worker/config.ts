import { defaultOutDir, defaultStoreDir } from '../common/paths.js';
import type { Transport } from '../activities/generate-candidate.js';
import { invalidParameter, parseInteger } from '../shared/validation.js';
import { DEFAULT_SEGMIND_BASE_URL } from '../activities/segmind/client.js';
import { GENERATION_TASK_QUEUE } from '../shared/task-queues.js';

/** Worker settings, all from the environment so the API key never travels through Temporal. */
export interface WorkerConfig {
  taskQueue: string;
  storeDir: string;
  /** Root of the per-batch output folders. */
  outDir: string;
  segmind: { apiKey: string; baseUrl: string };
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
  return {
    taskQueue: env.THUMBGATE_TASK_QUEUE ?? GENERATION_TASK_QUEUE,
    storeDir: defaultStoreDir(env),
    outDir: defaultOutDir(env),
    segmind: { apiKey: apiKey.trim(), baseUrl },
    maxConcurrentGenerations: positiveInt(env, 'THUMBGATE_MAX_GENERATIONS', 32),
    transport: transportOf(env.SEGMIND_API),
    providerRpm: positiveInt(env, 'THUMBGATE_SEGMIND_RPM', 50),
  };
}
