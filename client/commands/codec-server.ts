/**
 * `thumbgate codec-server`: Temporal's remote codec protocol over HTTP, so the Web UI ("Data Encoder",
 * TEMPORAL_CODEC_ENDPOINT) and `temporal workflow show --codec-endpoint` can show payloads that the
 * workers encrypt with THUMBGATE_PAYLOAD_KEYS (node/payload-codec.ts). POST …/encode and …/decode
 * take and return `{"payloads": [...]}` as proto3 JSON (bytes fields base64); only the last path
 * segment counts, so the endpoint can be mounted under a prefix such as /{namespace}/.
 *
 * Whoever reaches it can decrypt any history: it binds 127.0.0.1 by default, answers CORS only for the
 * listed UI origins, and with THUMBGATE_CODEC_TOKEN set requires `Authorization: Bearer <token>`. It
 * answers only requests whose Host header names it (localhost, 127.0.0.1 or [::1] on its port, or an
 * --allow-host): a page whose own name was rebound to 127.0.0.1 (DNS rebinding) is same-origin with
 * the server as far as the browser knows, so CORS alone would not stop it — its Host header does.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { KEYS_VAR, payloadCodecFromEnv } from '../../node/payload-codec.js';
import { command, jsonFlag, type FlagValues, type Flags } from '../command-spec.js';
import { withPayloadKeys } from '../connection.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import type { Output } from '../output.js';

const TOKEN_VAR = 'THUMBGATE_CODEC_TOKEN';
const DEFAULT_PORT = 8888;
const DEFAULT_HOST = '127.0.0.1';
/** The local Temporal UI (`npm run temporal`, the demo). */
const DEFAULT_ORIGIN = 'http://localhost:8233';

const flags = {
  port: { type: 'string', arg: 'N', description: `port to listen on, 0 for any free one (default ${DEFAULT_PORT})` },
  host: { type: 'string', arg: 'H', description: `address to bind (default ${DEFAULT_HOST})` },
  'allow-host': {
    type: 'string',
    arg: 'HOST[:PORT]',
    multiple: true,
    description:
      "Host header it answers besides localhost, 127.0.0.1 and [::1] on its port (a proxy's or published name; " +
      'HOST alone: with no port or its own port)',
  },
  'allow-origin': {
    type: 'string',
    arg: 'URL',
    multiple: true,
    description: `browser origin (the Temporal UI's) allowed to call it (default ${DEFAULT_ORIGIN})`,
  },
  ...jsonFlag,
} as const satisfies Flags;

export const codecServerCommand = command({
  name: 'codec-server',
  summary:
    'Decrypts payloads for the Temporal UI and the `temporal` CLI when payload encryption is on; runs until ' +
    'interrupted.',
  flags,
  notes: `Keys: ${KEYS_VAR} (the workers' keys). With ${TOKEN_VAR} set, every call needs \`Authorization: Bearer <token>\`.`,
  run: codecServer,
});
/** A history page's payloads are small (images travel by reference); this bounds a hostile body. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface CodecServerOptions {
  codec: PayloadCodec;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Browser origins allowed to call it (the Temporal UI's). */
  allowOrigins?: string[];
  /** When set, every encode/decode needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Host headers answered besides localhost / 127.0.0.1 / [::1] on its port (`HOST[:PORT]`). */
  allowHosts?: string[];
}

const HOST_ENTRY = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/;

/**
 * The Host header values answered: the loopback names on `port`, and each `HOST[:PORT]` entry (HOST
 * alone: without a port, as a browser sends it for 80/443 behind a proxy, or on `port`).
 */
export function allowedHostHeaders(entries: readonly string[], port: number): Set<string> {
  const hosts = new Set(['localhost', '127.0.0.1', '[::1]'].map((h) => `${h}:${port}`));
  for (const raw of entries) {
    const m = HOST_ENTRY.exec(raw.trim().toLowerCase());
    if (!m) {
      throw new CliError(
        EXIT.invalidInput,
        `--allow-host must be HOST or HOST:PORT ([v6::addr] in brackets), got ${raw}`
      );
    }
    if (m[2] !== undefined) hosts.add(`${m[1]}:${Number(m[2])}`);
    else hosts.add(m[1]!).add(`${m[1]}:${port}`);
  }
  return hosts;
}

export interface RunningCodecServer {
  url: string;
  close(): Promise<void>;
}

/** A request the protocol answers with 4xx and a one-line reason. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
  }
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const BASE64 = /^[A-Za-z0-9+/\-_]*={0,2}$/;

function bytesOf(value: unknown, where: string): Buffer {
  if (typeof value !== 'string' || !BASE64.test(value)) throw new HttpError(400, `${where} must be a base64 string`);
  return Buffer.from(value, 'base64');
}

/** proto3 JSON → Payload; anything else is a 400 naming the field. */
function fromJson(body: unknown): Payload[] {
  const payloads = (body as { payloads?: unknown } | null)?.payloads;
  if (!Array.isArray(payloads)) throw new HttpError(400, 'the body must be {"payloads": [...]}');
  return payloads.map((p: unknown, i) => {
    if (!p || typeof p !== 'object') throw new HttpError(400, `payloads[${i}] must be an object`);
    const { metadata = {}, data = '' } = p as { metadata?: unknown; data?: unknown };
    if (!metadata || typeof metadata !== 'object')
      throw new HttpError(400, `payloads[${i}].metadata must be an object`);
    return {
      metadata: Object.fromEntries(
        Object.entries(metadata).map(([k, v]) => [k, bytesOf(v, `payloads[${i}].metadata.${k}`)])
      ),
      data: bytesOf(data, `payloads[${i}].data`),
    };
  });
}

function toJson(payloads: Payload[]): { payloads: JsonPayload[] } {
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  return {
    payloads: payloads.map((p) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
      data: b64(p.data ?? new Uint8Array()),
    })),
  };
}

/** Constant-time comparison of the bearer token (hashed first, so lengths never differ). */
function authorized(header: string | undefined, token: string): boolean {
  const match = /^Bearer (.+)$/i.exec(header ?? '');
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(match?.[1] ?? ''), digest(token)) && match !== null;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `the body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'the body is not JSON');
  }
}

function cors(req: IncomingMessage, res: ServerResponse, origins: ReadonlySet<string>): void {
  const origin = req.headers.origin;
  res.setHeader('Vary', 'Origin');
  if (origin === undefined || !origins.has(origin)) return;
  res.setHeader('Access-Control-Allow-Origin', origin);
  // The UI's "include cross-origin credentials" setting needs this; the token check still applies.
  res.setHeader('Access-Control-Allow-Credentials', 'true');
  res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Namespace');
  res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  o: Required<CodecServerOptions>,
  hosts: ReadonlySet<string>
): Promise<void> {
  const host = req.headers.host?.toLowerCase();
  if (host === undefined || !hosts.has(host)) {
    throw new HttpError(421, `Host ${JSON.stringify(host ?? '')} is not one this codec server answers (--allow-host)`);
  }
  cors(req, res, new Set(o.allowOrigins));
  if (req.method === 'OPTIONS') {
    res.writeHead(204).end();
    return;
  }
  const action = new URL(req.url ?? '/', 'http://codec').pathname.split('/').filter(Boolean).pop();
  if (action !== 'encode' && action !== 'decode') throw new HttpError(404, 'POST …/encode or …/decode');
  if (req.method !== 'POST') throw new HttpError(405, `${action} takes POST`);
  if (o.token && !authorized(req.headers.authorization, o.token)) {
    res.setHeader('WWW-Authenticate', 'Bearer');
    throw new HttpError(401, `missing or wrong bearer token (${TOKEN_VAR})`);
  }
  const payloads = fromJson(await readBody(req));
  let out: Payload[];
  try {
    out = action === 'encode' ? await o.codec.encode(payloads) : await o.codec.decode(payloads);
  } catch (err) {
    throw new HttpError(400, (err as Error).message);
  }
  res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(toJson(out)));
}

/** Starts the codec server; resolves once it listens. */
export async function startCodecServer(options: CodecServerOptions): Promise<RunningCodecServer> {
  const o: Required<CodecServerOptions> = {
    host: DEFAULT_HOST,
    port: DEFAULT_PORT,
    allowOrigins: [DEFAULT_ORIGIN],
    token: '',
    allowHosts: [],
    ...options,
  };
  // Filled in once it listens (port 0 picks one); nothing is answered before then.
  let hosts: ReadonlySet<string> = new Set();
  const server = createServer((req, res) => {
    handle(req, res, o, hosts).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof HttpError ? err.message : 'internal error';
      if (!res.headersSent) res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end(`${message}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  try {
    hosts = allowedHostHeaders(o.allowHosts, port);
  } catch (err) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw err;
  }
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function portOf(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_PORT;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) throw new CliError(EXIT.invalidInput, `--port must be 0-65535, got ${raw}`);
  return port;
}

/** Runs until SIGINT / SIGTERM. */
async function codecServer({ values }: { values: FlagValues<typeof flags> }, out: Output): Promise<ExitCode> {
  const port = portOf(values.port);
  const codec = withPayloadKeys(() => payloadCodecFromEnv(process.env, { honourRequire: false }));
  if (!codec) {
    throw new CliError(
      EXIT.invalidInput,
      `${KEYS_VAR} is not set: give the codec server the same keys as the workers (docs/operations.md)`
    );
  }
  const token = process.env[TOKEN_VAR] || undefined;
  const server = await startCodecServer({
    codec,
    port,
    host: values.host ?? DEFAULT_HOST,
    allowOrigins: values['allow-origin'] ?? [DEFAULT_ORIGIN],
    allowHosts: values['allow-host'] ?? [],
    ...(token ? { token } : {}),
  });
  out.result(
    { url: server.url, allowOrigins: values['allow-origin'] ?? [DEFAULT_ORIGIN], token: Boolean(token) },
    () =>
      `codec server on ${server.url} (UI: set the Data Encoder / TEMPORAL_CODEC_ENDPOINT to it; CLI: ` +
      `temporal workflow show --codec-endpoint ${server.url}${token ? ' --codec-auth "Bearer $THUMBGATE_CODEC_TOKEN"' : ''})`
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return EXIT.ok;
}
