import { resolve } from 'node:path';
import { projectRoot } from './paths.js';
import { DEFAULT_SEGMIND_BASE_URL } from '../activities/segmind/client.js';
import { GENERATION_TASK_QUEUE } from '../shared/task-queues.js';

/** Worker settings, all from the environment so the API key never travels through Temporal. */
export interface WorkerConfig {
  taskQueue: string;
  storeDir: string;
  segmind: { apiKey: string; baseUrl: string };
  /** Provider calls in flight per worker (I/O-bound). */
  maxConcurrentGenerations: number;
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
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new ConfigError(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

export function defaultStoreDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.THUMBGATE_STORE_DIR ?? resolve(projectRoot, '.data', 'store'));
}

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const apiKey = env.SEGMIND_API_KEY ?? '';
  if (apiKey.trim() === '') {
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
    segmind: { apiKey: apiKey.trim(), baseUrl },
    maxConcurrentGenerations: positiveInt(env, 'THUMBGATE_MAX_GENERATIONS', 32),
  };
}
