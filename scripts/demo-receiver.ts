/**
 * The demo's stand-in for a scheduler's callback endpoint: verifies each completion callback's
 * signature and prints what it says, as a scheduler would before acting on it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CallbackKeyring, verifyCallback } from '../node/callback-signature.js';
import type { CompletionSummary } from '../shared/notification.js';

/**
 * Public (it is in this file), so it signs for this receiver only: the keyring handed to the workers
 * holds it for this receiver's host and port and nothing else; a `--notify-url` elsewhere needs a real
 * secret from the environment (scripts/demo.ts).
 */
const DEMO_WEBHOOK_SECRET = 'thumbgate-demo-public-secret-for-its-local-receiver-only';

export interface DemoReceiver {
  url: string;
  /** The workers' callback secrets: the demo's, for this receiver alone. */
  keys: CallbackKeyring;
  close(): Promise<void>;
}

export async function startDemoReceiver(print: (line: string) => void): Promise<DemoReceiver> {
  const state = { url: '' };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (!verifyCallback(DEMO_WEBHOOK_SECRET, { url: state.url, headers: req.headers, body })) {
        print('callback receiver: REFUSED a callback whose signature does not verify');
        res.writeHead(401).end();
        return;
      }
      const s = JSON.parse(body) as CompletionSummary;
      print(
        `callback receiver: verified ${s.event} for ${s.batchId}: ${s.status}, ${s.succeeded}/${s.thumbnails} ` +
          `thumbnails, spend $${s.spendUsd.toFixed(4)}${s.reason ? ` (${s.reason})` : ''}`
      );
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  state.url = `http://127.0.0.1:${port}/thumbgate/done`;
  return {
    url: state.url,
    keys: new CallbackKeyring([{ hostname: '127.0.0.1', port: String(port), secret: DEMO_WEBHOOK_SECRET }]),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
