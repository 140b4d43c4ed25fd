/** Shared bits of the emulator tests: a small undici caller and request bodies. */
import { request } from 'undici';
import type { Emulator } from '../../emulator/server.js';

export interface Reply {
  status: number;
  headers: Record<string, string>;
  bytes: Buffer;
  text: string;
}

export interface PostOptions {
  /** Replaces the default headers (x-api-key + JSON content type). */
  headers?: Record<string, string>;
  /** Sent as-is instead of JSON.stringify(body). */
  rawBody?: string;
  method?: 'POST' | 'GET' | 'PUT';
  headersTimeout?: number;
}

export async function post(
  emulator: Emulator,
  model: string,
  body: Record<string, unknown>,
  options: PostOptions = {}
): Promise<Reply> {
  const res = await request(`${emulator.url}/v1/${model}`, {
    method: options.method ?? 'POST',
    headers: options.headers ?? { 'x-api-key': emulator.apiKey, 'content-type': 'application/json' },
    body: options.method === 'GET' ? undefined : (options.rawBody ?? JSON.stringify(body)),
    headersTimeout: options.headersTimeout,
  });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) headers[k] = Array.isArray(v) ? v.join(',') : String(v);
  return { status: res.statusCode, headers, bytes, text: bytes.toString('utf8') };
}

/** A small, valid flux-schnell body (448×256 ≈ 16:9, the smallest legal thumbnail shape). */
export function schnell(seed: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { prompt: 'a robot unboxing a mystery gadget', seed, width: 448, height: 256, steps: 4, ...extra };
}

export function jsonError(reply: Reply): string {
  return (JSON.parse(reply.text) as { error: string }).error;
}

/** A GET (or other method) with the emulator's key unless `headers` replaces it. */
export async function call(
  emulator: Pick<Emulator, 'url' | 'apiKey'>,
  pathOrUrl: string,
  options: { method?: 'GET' | 'POST' | 'DELETE'; headers?: Record<string, string>; body?: unknown } = {}
): Promise<Reply> {
  const target = pathOrUrl.startsWith('http') ? pathOrUrl : `${emulator.url}${pathOrUrl}`;
  const res = await request(target, {
    method: options.method ?? 'GET',
    headers: options.headers ?? {
      'x-api-key': emulator.apiKey,
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) headers[k] = Array.isArray(v) ? v.join(',') : String(v);
  return { status: res.statusCode, headers, bytes, text: bytes.toString('utf8') };
}

export interface Submitted {
  request_id: string;
  status: string;
  poll_url: string;
  status_url: string;
  response_url: string;
}

/** POST /v2/{model}. */
export function submit(emulator: Emulator, model: string, body: Record<string, unknown>): Promise<Reply> {
  return call(emulator, `/v2/${model}`, { method: 'POST', body });
}

/** Polls a status URL until the job leaves QUEUED/PROCESSING (bounded: 10 s of real time). */
export async function pollUntilDone(emulator: Emulator, statusUrl: string): Promise<string> {
  for (let i = 0; i < 1000; i++) {
    const reply = await call(emulator, statusUrl);
    if (reply.status !== 200) return `HTTP ${reply.status}`;
    const { status } = JSON.parse(reply.text) as { status: string };
    if (status !== 'QUEUED' && status !== 'PROCESSING') return status;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`job at ${statusUrl} did not finish`);
}

export const json = <T = Record<string, unknown>>(reply: Reply): T => JSON.parse(reply.text) as T;
