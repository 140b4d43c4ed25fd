/**
 * `/_emulator/*`: drives an emulator started in another process (the demo, `npm run emulator`).
 * No auth: it listens on localhost and holds no secrets.
 *
 *   GET  /_emulator/health    {ok, models}
 *   GET  /_emulator/billing   {entries, totalCostMicros, creditsMicros}
 *   GET  /_emulator/requests  {requests}
 *   GET  /_emulator/faults    {script, random, retryAfterSeconds}
 *   POST /_emulator/faults    FaultConfig → the new state (fields present replace, absent are kept)
 *   POST /_emulator/credits   {creditsMicros} → sets the balance
 *   POST /_emulator/reset     {creditsMicros?} → as started: empty logs, starting balance and faults
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EMULATED_MODELS } from './models.js';
import { FaultConfigError } from './faults.js';
import { sendError, sendJson, sendMethodNotAllowed } from './responses.js';
import type { Emulator } from './server.js';

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  return text === '' ? {} : JSON.parse(text);
}

function creditsField(body: unknown, required: boolean): number | undefined {
  const value = (body as { creditsMicros?: unknown } | null)?.creditsMicros;
  if (value === undefined && !required) return undefined;
  if (!Number.isSafeInteger(value)) throw new FaultConfigError('creditsMicros must be an integer (micro-dollars)');
  return value as number;
}

export async function handleControl(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  emulator: Emulator
): Promise<void> {
  const route = `${req.method} ${path.replace(/\/+$/, '')}`;
  try {
    switch (route) {
      case 'GET /_emulator/health':
        return sendJson(res, 200, { ok: true, models: EMULATED_MODELS });
      case 'GET /_emulator/billing':
        return sendJson(res, 200, {
          entries: emulator.billing(),
          totalCostMicros: emulator.totalBilledMicros(),
          creditsMicros: emulator.credits(),
        });
      case 'GET /_emulator/requests':
        return sendJson(res, 200, { requests: emulator.requests() });
      case 'GET /_emulator/faults':
        return sendJson(res, 200, emulator.faults.snapshot());
      case 'POST /_emulator/faults':
        emulator.faults.configure((await readJson(req)) as never);
        return sendJson(res, 200, emulator.faults.snapshot());
      case 'POST /_emulator/credits':
        emulator.setCredits(creditsField(await readJson(req), true) as number);
        return sendJson(res, 200, { creditsMicros: emulator.credits() });
      case 'POST /_emulator/reset': {
        const creditsMicros = creditsField(await readJson(req), false);
        emulator.reset(creditsMicros === undefined ? {} : { creditsMicros });
        return sendJson(res, 200, { ok: true, creditsMicros: emulator.credits() });
      }
    }
  } catch (err) {
    if (err instanceof FaultConfigError || err instanceof SyntaxError) return sendError(res, 400, err.message);
    throw err;
  }
  const known = ['health', 'billing', 'requests', 'faults', 'credits', 'reset'];
  if (known.some((name) => path.replace(/\/+$/, '') === `/_emulator/${name}`)) {
    return sendMethodNotAllowed(res, req.method ?? '');
  }
  return sendError(res, 404, `Not found: ${path}`);
}
