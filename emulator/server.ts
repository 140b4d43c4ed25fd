/**
 * A local HTTP server that speaks Segmind's API for the five Flux models:
 *
 * - v1, synchronous: `POST /v1/{model}` with `x-api-key`, JSON body in, image bytes and
 *   accounting headers out (routes/v1.ts);
 * - v2, asynchronous: `POST /v2/{model}` queues a job, `GET /v2/requests/{id}/status` and
 *   `GET /v2/requests/{id}` poll it (routes/v2.ts), the result's `output` URL serves the image
 *   (routes/media.ts);
 * - `GET /v1/get-user-credits` (routes/account.ts);
 * - `/_emulator/*`, the control API (control.ts), and the in-process `Emulator` handle.
 *
 * This file is the router; the shared state lives in context.ts. The emulator keeps its own
 * tables (models.ts, sizes.ts) and imports nothing from the client: it imitates the provider, so
 * where the client's expectations differ from the service, the client has to cope here as it
 * would in production.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BillingEntry } from './billing.js';
import { DEFAULT_EMULATOR_API_KEY, EmulatorContext, type EmulatorOptions, type RequestRecord } from './context.js';
import { handleControl } from './control.js';
import type { FaultController } from './faults.js';
import type { V2Status } from './job-table.js';
import type { EmulatedModel } from './models.js';
import { sendError } from './responses.js';
import { handleCredits } from './routes/account.js';
import { handleMedia } from './routes/media.js';
import { handleV1 } from './routes/v1.js';
import { handleRequests, submitV2 } from './routes/v2.js';
import type { Size } from './sizes.js';

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

const REQUESTS_ROUTE = /^\/v2\/requests\/([^/]+)(\/status)?\/?$/;
const MEDIA_ROUTE = /^\/v2\/media\/([0-9a-f-]+)\.(jpg|png)$/;

/** Picks the handler for a path; undefined when nothing matches. */
function route(
  ctx: EmulatorContext,
  control: Emulator,
  req: IncomingMessage,
  res: ServerResponse,
  path: string
): Promise<unknown> | undefined {
  const base: RequestRecord = {
    requestId: randomUUID(),
    method: req.method ?? '',
    path,
    status: null,
    outcome: 'error',
    costMicros: 0,
  };
  const v1 = { ...base, api: 'v1' as const };
  const v2 = { ...base, api: 'v2' as const };
  let m: RegExpExecArray | null;
  if (/^\/v1\/get-user-credits\/?$/.test(path)) return Promise.resolve(handleCredits(ctx, req, res, v1));
  if ((m = /^\/v1\/([^/]+)\/?$/.exec(path))) return handleV1(ctx, req, res, v1, decodeURIComponent(m[1]!));
  if ((m = MEDIA_ROUTE.exec(path))) return handleMedia(ctx, req, res, v2, m[1]!, m[2]!);
  if ((m = REQUESTS_ROUTE.exec(path))) {
    return Promise.resolve(handleRequests(ctx, req, res, v2, decodeURIComponent(m[1]!), !!m[2]));
  }
  if ((m = /^\/v2\/([^/]+)\/?$/.exec(path))) return submitV2(ctx, req, res, v2, decodeURIComponent(m[1]!));
  if (path.startsWith('/_emulator/')) return handleControl(req, res, path, control);
  return undefined;
}

export async function createEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const ctx = new EmulatorContext(options);

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const work = route(ctx, control, req, res, path);
    if (!work) {
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
  ctx.boundUrl = `http://${host}:${address.port}`;

  const control: Emulator = {
    url: ctx.boundUrl,
    port: address.port,
    apiKey: [...ctx.apiKeys][0] ?? DEFAULT_EMULATOR_API_KEY,
    faults: ctx.faults,
    billing: () => {
      ctx.jobs.sweep();
      return ctx.account.entries();
    },
    totalBilledMicros: () => ctx.account.totalChargedMicros(),
    credits: () => ctx.account.balanceMicros,
    setCredits: (micros) => ctx.account.setCredits(micros),
    requests: () => ctx.requests(),
    outputSize: (model, body) => ctx.sizes.sizeFor(model, body),
    jobStatus: (id) => ctx.jobs.visibleStatus(id),
    reset: (opts = {}) => ctx.reset(opts.creditsMicros),
    close: async () => {
      ctx.closing.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
  return control;
}

export { DEFAULT_EMULATOR_API_KEY, DEFAULT_EMULATOR_PORT } from './context.js';
export type { EmulatorOptions, RequestRecord } from './context.js';
export type { BillingEntry } from './billing.js';
export type { EmulatedModel } from './models.js';
export type { Size } from './sizes.js';
