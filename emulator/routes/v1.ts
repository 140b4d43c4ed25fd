/**
 * `POST /v1/{model}`: the synchronous API. Admitted, billed at acceptance, then the image (or
 * what a fault makes of it) after the simulated generation time, with the accounting headers.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { BilledOutcome } from '../billing.js';
import { lettering } from '../context.js';
import { deliverImage } from '../deliver.js';
import { usdString } from '../models.js';
import type { RenderedImage } from '../render.js';
import { sendError } from '../responses.js';
import { renderAdmitted, submitRoute, type Admitted } from './admit.js';

function successHeaders(requestId: string, a: Admitted, creditsAfter: number): Record<string, string> {
  return {
    'x-request-id': requestId,
    'x-cost': usdString(a.costMicros),
    'x-remaining-credits': usdString(creditsAfter),
    'x-generation-time': a.gpuSeconds.toFixed(3),
    'x-seed-value': String(a.seed),
  };
}

export const handleV1 = submitRoute('v1', async (ctx, _req, res, base, a, entry) => {
  const requestId = base.requestId;
  // Accepted and billed: from here the job runs whatever the client does.
  const settle = (outcome: BilledOutcome): void => ctx.account.settle(requestId, outcome);
  const billed = { costMicros: a.costMicros };
  const closing = ctx.closing.signal;

  const gone = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) gone.abort();
  });
  const latencySeconds = ctx.latencyOf(a.model, a.gpuSeconds);
  let image: RenderedImage;
  try {
    const signal = AbortSignal.any([gone.signal, closing]);
    [image] = await Promise.all([
      renderAdmitted(a),
      latencySeconds > 0 ? sleep(latencySeconds * 1000, undefined, { signal }) : undefined,
    ]);
  } catch (err) {
    if (gone.signal.aborted || closing.aborted) {
      settle('client-closed');
      ctx.record({ ...base, status: null, outcome: 'client-closed', ...billed });
      return;
    }
    settle('error');
    sendError(res, 500, `Internal Server Error: ${(err as Error).message}`, { 'x-request-id': requestId });
    ctx.record({ ...base, status: 500, outcome: 'error', error: (err as Error).message, ...billed });
    return;
  }
  if (gone.signal.aborted) {
    settle('client-closed');
    ctx.record({ ...base, status: null, outcome: 'client-closed', ...billed });
    return;
  }
  const done = { ...base, status: 200, defect: image.defect, ...lettering(image), ...billed };
  await deliverImage(res, image, a.fault?.kind, {
    headers: successHeaders(requestId, a, entry.creditsAfterMicros),
    dripBytesPerSecond: ctx.dripBytesPerSecond,
    oversizedBytes: ctx.oversizedBytes,
    signal: closing,
    onOutcome: (outcome, fault) => {
      // v1 never delivers junk (its junk-200 is answered before acceptance, unbilled).
      if (outcome !== 'junk') settle(outcome);
      ctx.record({ ...done, outcome, ...(fault ? { fault } : {}) });
    },
  });
});
