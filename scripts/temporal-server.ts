import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { projectRoot } from '../node/paths.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { searchAttributeFlags } from '../shared/search-attributes.js';

interface ToolPaths {
  cli: string;
  testServer: string | null;
  version: string;
}

/** Paths written by scripts/setup-temporal.mjs; the README commands run it first. */
export function temporalToolPaths(): ToolPaths {
  const file = join(projectRoot, '.tools', 'temporal', 'paths.json');
  if (!existsSync(file)) {
    throw new Error('Temporal CLI not set up: run `node scripts/setup-temporal.mjs` (npm test and npm run demo do).');
  }
  return JSON.parse(readFileSync(file, 'utf8')) as ToolPaths;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

export interface DevServerOptions {
  port: number;
  /** Web UI port; omitted means headless. */
  uiPort?: number;
  /** SQLite file; omitted means in-memory. */
  dbFile?: string;
  /** Keep running after this process exits (the `npm run temporal` case). */
  detached?: boolean;
  logFile?: string;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function isServing(address: string): Promise<boolean> {
  const { cli } = temporalToolPaths();
  return new Promise((done) => {
    const child = spawn(cli, ['operator', 'cluster', 'health', '--address', address], { stdio: 'ignore' });
    child.on('error', () => done(false));
    child.on('exit', (code) => done(code === 0));
  });
}

export async function waitUntilServing(address: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await isServing(address))) {
    if (Date.now() > deadline)
      throw new Error(`Temporal server at ${address} did not become healthy in ${timeoutMs} ms`);
    await sleep(250);
  }
}

/** Starts `temporal server start-dev` with the project's search attributes and waits until it is healthy. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const { cli } = temporalToolPaths();
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port), '--log-level', 'warn'];
  if (options.uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort));
  if (options.dbFile) {
    mkdirSync(dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  for (const flag of searchAttributeFlags) args.push('--search-attribute', flag);
  // One partition per task queue: a rate-limited queue (the provider queue) then dispatches at its limit
  // evenly instead of in per-partition rounds that overshoot a provider's per-minute window (docs/provider.md).
  for (const key of ['matching.numTaskqueueReadPartitions', 'matching.numTaskqueueWritePartitions']) {
    args.push('--dynamic-config-value', `${key}=1`);
  }
  const child = spawn(cli, args, {
    stdio: 'ignore',
    detached: options.detached ?? false,
  });
  if (options.detached) child.unref();
  const address = `127.0.0.1:${options.port}`;
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`temporal server start-dev exited early with code ${code}`)))
  );
  exited.catch(() => undefined);
  await Promise.race([waitUntilServing(address), exited]);
  return {
    address,
    uiUrl: options.uiPort === undefined ? undefined : `http://127.0.0.1:${options.uiPort}`,
    process: child,
    async stop() {
      if (child.exitCode !== null) return;
      const gone = new Promise<void>((done) => child.once('exit', () => done()));
      child.kill('SIGTERM');
      await Promise.race([gone, sleep(10_000, undefined, { ref: false })]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
