/**
 * A scheduler's callback endpoint for tests: records what arrives and can be down for a while —
 * dropping its first connections (as a restarting service does) or answering with a chosen status.
 * `verifies` checks a callback as this receiver would: with its own URL (docs/operations.md).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { request } from 'undici';
import { verifyCallback } from '../../node/callback-signature.js';

export interface ReceivedCallback {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface CallbackReceiver {
  url: string;
  received: ReceivedCallback[];
  /** Connections dropped before an answer (the receiver was "down"). */
  dropped: number;
  /** Whether `callback` verifies at this receiver (its URL) under `secret`. */
  verifies(callback: ReceivedCallback, secret: string): boolean;
  close(): Promise<void>;
}

export async function startReceiver(
  options: { dropFirst?: number; status?: number; path?: string } = {}
): Promise<CallbackReceiver> {
  const received: ReceivedCallback[] = [];
  const state = { dropped: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(options.status ?? 200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  // Down: the connection is accepted and reset before any request is read.
  server.prependListener('connection', (socket: Socket) => {
    if (state.dropped < (options.dropFirst ?? 0)) {
      state.dropped += 1;
      socket.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}${options.path ?? '/thumbgate/done'}`;
  return {
    url,
    received,
    verifies: (callback, secret) => verifyCallback(secret, { url, ...callback }),
    get dropped() {
      return state.dropped;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Posts a received callback's signed headers and body, unchanged, to another URL: an attacker's replay. */
export async function replay(callback: ReceivedCallback, url: string): Promise<void> {
  const headers = Object.fromEntries(
    Object.entries(callback.headers).filter(([name]) => name.startsWith('x-thumbgate-') || name === 'content-type')
  ) as Record<string, string>;
  await (await request(url, { method: 'POST', headers, body: callback.body })).body.dump();
}
