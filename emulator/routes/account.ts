/** `GET /v1/get-user-credits`: the balance, for any accepted key. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorContext, RequestRecord } from '../context.js';
import { usdNumber, usdString } from '../models.js';
import { sendError, sendJson, sendMethodNotAllowed } from '../responses.js';

export function handleCredits(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  base: RequestRecord
): void {
  if (req.method !== 'GET') {
    sendMethodNotAllowed(res, req.method ?? '', { allow: 'GET' });
    ctx.record({ ...base, status: 405, outcome: 'error', error: 'Method Not Allowed' });
    return;
  }
  const auth = ctx.authorize(req);
  if ('error' in auth) {
    sendError(res, 401, auth.error);
    ctx.record({ ...base, status: 401, outcome: 'error', error: auth.error });
    return;
  }
  ctx.jobs.sweep();
  const balance = ctx.account.balanceMicros;
  sendJson(res, 200, { credits: usdNumber(balance), 'free-credits': 0 }, { 'x-remaining-credits': usdString(balance) });
  ctx.record({ ...base, status: 200, outcome: 'ok' });
}
