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
