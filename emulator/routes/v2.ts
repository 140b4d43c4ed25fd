/**
 * The asynchronous API: `POST /v2/{model}` queues a billed job in the JobTable; `GET
 * /v2/requests/{id}/status` and `GET /v2/requests/{id}` poll it. The result's `output` is an
 * absolute media URL (routes/media.ts) on the origin the client reached us by.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { lettering, type EmulatorContext, type RequestRecord } from '../context.js';
import type { Job } from '../job-table.js';
import { usdNumber, usdString } from '../models.js';
import { sendError, sendJson, sendMethodNotAllowed } from '../responses.js';
import { formatOf, renderAdmitted, submitRoute } from './admit.js';

function jobUrls(origin: string, id: string) {
  return {
    poll_url: `${origin}/v2/requests/${id}/status`,
    status_url: `${origin}/v2/requests/${id}/status`,
    response_url: `${origin}/v2/requests/${id}`,
  };
}

function mediaUrl(origin: string, job: Job): string {
  return `${origin}/v2/media/${job.id}.${job.format}`;
}

export const submitV2 = submitRoute('v2', (ctx, req, res, base, a, entry) => {
  ctx.jobs.sweep();
  const id = base.requestId;
  const kind = a.fault?.kind;
  const job = ctx.jobs.add({
    id,
    apiKey: a.apiKey,
    model: a.model,
    prompt: a.prompt,
    seed: a.seed,
    width: a.size.width,
    height: a.size.height,
    gpuSeconds: a.gpuSeconds,
    costMicros: a.costMicros,
    format: formatOf(a),
    acceptedAt: entry.acceptedAt,
    queueMs: ctx.queueSeconds * ctx.latencyScale * 1000,
    processingMs: ctx.latencyOf(a.model, a.gpuSeconds) * 1000,
    ...(kind ? { fault: kind } : {}),
  });
  renderAdmitted(a).then(
    (image) => {
      ctx.jobs.rendered(job, image);
      // Settle the billing entry on time even if nobody polls (a no-op until doneAt on the clock).
      setTimeout(() => ctx.jobs.refresh(job), Math.max(0, job.doneAt - ctx.now())).unref();
    },
    (err: unknown) => ctx.jobs.renderFailed(job, (err as Error).message)
  );
  sendJson(
    res,
    200,
    { request_id: id, status: 'QUEUED', ...jobUrls(ctx.originFor(req), id) },
    { 'x-request-id': id, 'x-remaining-credits': usdString(entry.creditsAfterMicros) }
  );
  ctx.record({ ...base, status: 200, outcome: 'accepted', ...(kind ? { fault: kind } : {}), costMicros: a.costMicros });
});

/** `GET /v2/requests/{id}` (the result) or `GET /v2/requests/{id}/status`. */
export function handleRequests(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  base: RequestRecord,
  id: string,
  statusOnly: boolean
): void {
  base.requestId = id;
  const fail = (status: number, message: string) => {
    sendError(res, status, message, { 'x-request-id': id });
    ctx.record({ ...base, status, outcome: 'error', error: message });
  };
  if (req.method !== 'GET') {
    sendMethodNotAllowed(res, req.method ?? '', { allow: 'GET' });
    ctx.record({ ...base, status: 405, outcome: 'error', error: 'Method Not Allowed' });
    return;
  }
  const auth = ctx.authorize(req);
  if ('error' in auth) return fail(401, auth.error);
  const job = ctx.jobs.get(id);
  // Another key's job is as invisible as one that never existed.
  if (!job || job.apiKey !== auth.key) return fail(404, `Request ${id} not found`);
  Object.assign(base, { model: job.model, prompt: job.prompt, seed: job.seed });
  const status = ctx.jobs.status(job);
  if (job.expired)
    return fail(410, `Request ${id} has expired: results are kept for ${Math.round(ctx.resultTtlMs / 1000)} s`);
  if (statusOnly) {
    sendJson(res, 200, { request_id: id, status }, { 'x-request-id': id });
    ctx.record({ ...base, status: 200, outcome: 'ok' });
    return;
  }
  if (status === 'FAILED') {
    const error = job.renderError
      ? `Generation failed: ${job.renderError}`
      : 'Generation failed: the GPU worker ran out of memory (injected fault)';
    sendJson(res, 422, { request_id: id, status, error }, { 'x-request-id': id });
    ctx.record({ ...base, status: 422, outcome: 'error', fault: job.fault, error });
    return;
  }
  const headers = { 'x-request-id': id, 'x-remaining-credits': usdString(ctx.account.balanceMicros) };
  if (status !== 'COMPLETED') {
    sendJson(res, 200, { request_id: id, status }, headers);
    ctx.record({ ...base, status: 200, outcome: 'ok' });
    return;
  }
  sendJson(
    res,
    200,
    {
      request_id: id,
      status,
      output: mediaUrl(ctx.originFor(req), job),
      metrics: {
        gpu_seconds: job.gpuSeconds,
        cost_usd: usdNumber(job.costMicros),
        seed: job.seed,
        width: job.width,
        height: job.height,
        queued_seconds: (job.startAt - job.acceptedAt) / 1000,
        inference_seconds: (job.doneAt - job.startAt) / 1000,
      },
    },
    headers
  );
  ctx.record({ ...base, status: 200, outcome: 'ok', defect: job.image?.defect, ...lettering(job.image) });
}
