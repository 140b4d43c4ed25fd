/** Shared bits of the emulator tests: a small undici caller and request bodies. */
import { request } from 'undici';
import type { SegmindRequestBody } from '../../shared/generation-request.js';
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
export function schnell(seed: number, extra: Partial<SegmindRequestBody> = {}): SegmindRequestBody {
  return { prompt: 'a robot unboxing a mystery gadget', seed, width: 448, height: 256, steps: 4, ...extra };
}

export function jsonError(reply: Reply): string {
  return (JSON.parse(reply.text) as { error: string }).error;
}
