/**
 * The demo's stand-in for a scheduler's callback endpoint: verifies each completion callback's
 * signature and prints what it says, as a scheduler would before acting on it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyCallback } from '../common/callback-signature.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, type CompletionSummary } from '../shared/notification.js';

export async function startDemoReceiver(
  secret: string,
  print: (line: string) => void
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = (name: string): string | undefined => {
        const v = req.headers[name];
        return typeof v === 'string' ? v : undefined;
      };
      if (!verifyCallback(secret, header(TIMESTAMP_HEADER), header(SIGNATURE_HEADER), body)) {
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
  return {
    url: `http://127.0.0.1:${port}/thumbgate/done`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
