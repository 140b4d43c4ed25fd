/** Response shapes of the Segmind gateway: JSON errors, plain-text 406s, an HTML 405 page. */
import type { ServerResponse } from 'node:http';

export type ExtraHeaders = Record<string, string | number>;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: ExtraHeaders = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, status: number, message: string, headers: ExtraHeaders = {}): void {
  sendJson(res, status, { error: message }, headers);
}

/** Segmind answers 406 (bad content type, no credits) in plain text. */
export function sendText(res: ServerResponse, status: number, text: string, headers: ExtraHeaders = {}): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** The gateway's own page for a wrong method: HTML, not JSON, so clients must not assume JSON errors. */
export function sendMethodNotAllowed(res: ServerResponse, method: string, headers: ExtraHeaders = {}): void {
  const html =
    '<!DOCTYPE html><html><head><title>405 Method Not Allowed</title></head>' +
    `<body><h1>Method Not Allowed</h1><p>The method ${method.replace(/[^A-Z]/g, '')} is not allowed for the requested URL.</p></body></html>`;
  res.writeHead(405, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    allow: 'POST',
    ...headers,
  });
  res.end(html);
}

/**
 * What a CDN or WAF in front of the API sends when it is unhappy: a 200 with an HTML challenge
 * page, none of Segmind's headers. Clients that trust the status code alone get HTML as "image".
 */
export function sendJunk200(res: ServerResponse): void {
  const html =
    '<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>' +
    '<meta http-equiv="refresh" content="30"></head><body><h1>Checking your browser before accessing ' +
    'api.segmind.com.</h1><p>This process is automatic. Your browser will redirect to your requested ' +
    'content shortly.</p><p>Please allow up to 5 seconds&hellip;</p>' +
    '<p>Ray ID: 8d2f6c1e9a3b4c5d &bull; Performance &amp; security by Cloudflare</p></body></html>';
  res.writeHead(200, {
    'content-type': 'text/html; charset=UTF-8',
    'content-length': Buffer.byteLength(html),
    'cache-control': 'no-cache',
    server: 'cloudflare',
    'cf-ray': '8d2f6c1e9a3b4c5d-FRA',
  });
  res.end(html);
}

const TICK_MS = 100;

/**
 * Sends `bytes` a few at a time: `bytesPerSecond` spread over 100 ms ticks, after headers that
 * promise the full length. Stops quietly if the client leaves or `signal` aborts.
 */
export async function dripBody(
  res: ServerResponse,
  bytes: Buffer,
  bytesPerSecond: number,
  signal: AbortSignal
): Promise<'sent' | 'stopped'> {
  const perTick = Math.max(1, Math.ceil((bytesPerSecond * TICK_MS) / 1000));
  for (let offset = 0; offset < bytes.length; offset += perTick) {
    if (res.destroyed || signal.aborted) return 'stopped';
    res.write(bytes.subarray(offset, offset + perTick));
    if (offset + perTick < bytes.length) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, TICK_MS);
        signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    }
  }
  if (res.destroyed || signal.aborted) return 'stopped';
  res.end();
  return 'sent';
}

/**
 * Streams `total` bytes of filler (chunked, no Content-Length) honouring back-pressure; for the
 * "oversized" fault. Stops if the client leaves or `signal` aborts.
 */
export async function streamFiller(
  res: ServerResponse,
  total: number,
  signal: AbortSignal
): Promise<'sent' | 'stopped'> {
  const chunk = Buffer.alloc(64 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 2654435761) >>> 24;
  chunk[0] = 0xff; // starts like a JPEG, so sniffing the first bytes is no defence
  chunk[1] = 0xd8;
  let sent = 0;
  while (sent < total) {
    if (res.destroyed || signal.aborted) return 'stopped';
    const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
    sent += piece.length;
    if (!res.write(piece)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  if (res.destroyed || signal.aborted) return 'stopped';
  res.end();
  return 'sent';
}
