/**
 * `GET /v2/media/{id}.jpg|png`: a finished job's image, served without a key like a CDN or
 * object-store URL. A job's media fault strikes its first download only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { lettering, type EmulatorContext, type RequestRecord } from '../context.js';
import { deliverImage } from '../deliver.js';
import { sendMethodNotAllowed } from '../responses.js';

/** What an object store says for a missing (or already deleted) key. */
const NO_SUCH_KEY =
  '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>';

export async function handleMedia(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  base: RequestRecord,
  id: string,
  ext: string
): Promise<void> {
  base.requestId = id;
  const job = ctx.jobs.get(id);
  if (job) ctx.jobs.refresh(job);
  if (req.method !== 'GET') {
    sendMethodNotAllowed(res, req.method ?? '', { allow: 'GET' });
    ctx.record({ ...base, status: 405, outcome: 'error', error: 'Method Not Allowed' });
    return;
  }
  if (!job || job.expired || !job.image || job.format !== ext || ctx.jobs.status(job) !== 'COMPLETED') {
    res.writeHead(404, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(NO_SUCH_KEY) });
    res.end(NO_SUCH_KEY);
    ctx.record({ ...base, status: 404, outcome: 'error', error: 'NoSuchKey' });
    return;
  }
  Object.assign(base, { model: job.model, prompt: job.prompt, seed: job.seed });
  const image = job.image;
  const done = { ...base, status: 200, defect: image.defect, ...lettering(image) };
  await deliverImage(res, image, ctx.jobs.takeMediaFault(job), {
    headers: {},
    imageHeaders: { 'cache-control': 'public, max-age=3600' },
    dripBytesPerSecond: ctx.dripBytesPerSecond,
    oversizedBytes: ctx.oversizedBytes,
    signal: ctx.closing.signal,
    onOutcome: (outcome, fault) => ctx.record({ ...done, outcome, ...(fault ? { fault } : {}) }),
  });
}
