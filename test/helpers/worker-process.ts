/**
 * A real worker process (`node --import tsx worker/main.ts`) configured by its environment only, as in
 * production: for tests that kill workers (kill -9) or need several processes polling one task queue.
 * Every process started here is tracked; `stopAllWorkerProcesses()` in afterAll leaves none behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../node/paths.js';
import { TINY_CLIP_MODEL } from '../../activities/scoring/index.js';

export interface WorkerProcessOptions {
  /** Temporal frontend, host:port. */
  temporalAddress: string;
  taskQueue: string;
  storeDir: string;
  outDir: string;
  roles: 'generation' | 'scoring' | 'generation,scoring';
  /** The emulator (or a proxy in front of it); required for the generation role. */
  segmindBaseUrl?: string;
  segmindApiKey?: string;
  /** THUMBGATE_SEGMIND_RPM: the provider queue's rate limit for all workers together. */
  segmindRpm?: number;
  /** SEGMIND_API (default v2). */
  transport?: 'v1' | 'v2';
  /** A name for failure messages. */
  name?: string;
  /** How long to wait for the start line (the worker bundles the workflows first). */
  startTimeoutMs?: number;
  /** Extra environment. */
  env?: Record<string, string>;
  /** Extra command-line flags, e.g. `['--metrics-port', '9464']`. */
  args?: string[];
}

export interface WorkerProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Sends a signal (`SIGKILL` is kill -9) and resolves when the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** SIGTERM (a graceful worker shutdown), SIGKILL if it is still there after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** Whether the process has exited. */
  exited(): boolean;
  /** The last stderr output, for failure messages. */
  stderr(): string;
}

const STDERR_KEEP = 64 * 1024;
const live = new Set<WorkerProcess>();

/** The environment of the worker: the parent's, minus any thumbgate/Segmind/Temporal settings, plus ours. */
function workerEnv(o: WorkerProcessOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(THUMBGATE_|SEGMIND_|TEMPORAL_)/.test(k)) env[k] = v;
  }
  Object.assign(env, {
    MALLOC_ARENA_MAX: '2',
    TEMPORAL_ADDRESS: o.temporalAddress,
    THUMBGATE_TASK_QUEUE: o.taskQueue,
    THUMBGATE_STORE_DIR: o.storeDir,
    THUMBGATE_OUT_DIR: o.outDir,
    THUMBGATE_WORKER_ROLES: o.roles,
    SEGMIND_API: o.transport ?? 'v2',
    ...(o.segmindBaseUrl ? { SEGMIND_BASE_URL: o.segmindBaseUrl } : {}),
    ...(o.segmindApiKey ? { SEGMIND_API_KEY: o.segmindApiKey } : {}),
    ...(o.segmindRpm !== undefined ? { THUMBGATE_SEGMIND_RPM: String(o.segmindRpm) } : {}),
    // The tests' callback receivers listen on loopback (test/helpers/callback-receiver.ts).
    THUMBGATE_CALLBACK_HOSTS: '127.0.0.1',
    ...o.env,
  });
  return env;
}

/** Starts a worker process and resolves once it prints its `thumbgate worker (…)` start line. */
export async function startWorkerProcess(o: WorkerProcessOptions): Promise<WorkerProcess> {
  const args = ['--import', 'tsx', 'worker/main.ts', ...(o.args ?? [])];
  if (o.roles.includes('scoring')) {
    args.push(
      '--clip-model',
      TINY_CLIP_MODEL,
      '--model-dir',
      join(projectRoot, 'models'),
      '--allow-remote-models',
      'false'
    );
  }
  const child = spawn(process.execPath, args, {
    cwd: projectRoot,
    env: workerEnv(o),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const name = `${o.name ?? o.roles} worker (pid ${child.pid})`;
  let err = '';
  let out = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err = (err + chunk).slice(-STDERR_KEEP);
  });
  const exit = new Promise<void>((done) => child.once('exit', () => done()));
  const exited = () => child.exitCode !== null || child.signalCode !== null;

  const worker: WorkerProcess = {
    name,
    pid: child.pid!,
    child,
    exited,
    stderr: () => err,
    async kill(signal) {
      if (!exited()) child.kill(signal);
      await exit;
      live.delete(worker);
    },
    async stop(graceMs = 15_000) {
      if (!exited()) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exit;
        clearTimeout(timer);
      }
      live.delete(worker);
    },
  };
  live.add(worker);

  const timeoutMs = o.startTimeoutMs ?? 90_000;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${name} printed no start line in ${timeoutMs} ms; stderr:\n${err}`)),
        timeoutMs
      );
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out = (out + chunk).slice(-4096);
        if (/thumbgate worker \(/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exit.then(() => {
        clearTimeout(timer);
        reject(new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before starting; stderr:\n${err}`));
      });
    });
  } catch (e) {
    await worker.kill('SIGKILL');
    throw e;
  }
  return worker; // stdout keeps draining through the listener: a full pipe would block the worker
}

/** Stops every worker process this file started and has not seen exit (for afterAll). */
export async function stopAllWorkerProcesses(): Promise<void> {
  await Promise.all([...live].map((w) => w.stop(5_000)));
}
