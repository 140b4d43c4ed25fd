/**
 * The checks a generation submit passes before it is billed, shared by v1 and v2: route → method
 * → auth → plan rate limit → content type → JSON → parameters → content policy → injected fault;
 * then the balance check and charge (`charge`). v2 answers v1's 400s with 422s.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BillingEntry } from '../billing.js';
import type { EmulatorContext, RequestRecord } from '../context.js';
import { usdLabel } from '../context.js';
import type { FaultApi, FaultDecision } from '../faults.js';
import { simulateGpuSeconds } from '../gpu-time.js';
import {
  PROVIDER_MODELS,
  billMicros,
  checkParameters,
  isEmulatedModel,
  typicalMicros,
  type EmulatedModel,
  type ProviderOutputFormat,
} from '../models.js';
import { renderImage, type DraftRates, type RenderedImage } from '../render.js';
import { sendError, sendJunk200, sendMethodNotAllowed, sendText } from '../responses.js';
import type { Size } from '../sizes.js';

const MAX_BODY_BYTES = 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, `Request body larger than ${MAX_BODY_BYTES} bytes`));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function canonicalJson(body: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(body).sort(([a], [b]) => (a < b ? -1 : 1))));
}

/** What passed every check up to the balance. */
export interface Admitted {
  model: EmulatedModel;
  body: Record<string, unknown>;
  prompt: string;
  seed: number;
  steps?: number;
  size: Size;
  gpuSeconds: number;
  costMicros: number;
  needMicros: number;
  fault?: FaultDecision;
  apiKey: string;
  draftRates: DraftRates;
}

/** The output format the body asks for (jpg unless png). */
export function formatOf(a: Admitted): ProviderOutputFormat {
  return a.body.output_format === 'png' ? 'png' : 'jpg';
}

/** The image an admitted request renders, in the output format it asked for (v1 and v2 alike). */
export function renderAdmitted(a: Admitted): Promise<RenderedImage> {
  return renderImage({
    model: a.model,
    prompt: a.prompt,
    seed: a.seed,
    width: a.size.width,
    height: a.size.height,
    format: formatOf(a),
    quality: typeof a.body.output_quality === 'number' ? a.body.output_quality : undefined,
    draftRates: a.draftRates,
  });
}

function sendRateLimited(
  res: ServerResponse,
  message: string,
  retryAfterSeconds: number,
  resetAt: number,
  headers: Record<string, string>
): void {
  sendError(res, 429, message, {
    ...headers,
    'retry-after': String(retryAfterSeconds),
    'x-rate-limit-reset-at-utc': new Date(resetAt).toISOString(),
  });
}

/**
 * Runs the checks up to (not including) the balance. Answers and records the request itself when
 * it stops it, and returns undefined then.
 */
async function admit(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  base: RequestRecord,
  slug: string,
  api: FaultApi
): Promise<Admitted | undefined> {
  const requestId = base.requestId;
  const badRequest = api === 'v1' ? 400 : 422;
  const fail = (status: number, message: string, extra: Partial<RequestRecord> = {}, plainText = false) => {
    if (plainText) sendText(res, status, message, { 'x-request-id': requestId });
    else sendError(res, status, message, { 'x-request-id': requestId });
    ctx.record({ ...base, status, outcome: 'error', error: message, ...extra });
    return undefined;
  };
  if (req.method !== 'POST') {
    sendMethodNotAllowed(res, req.method ?? '', { 'x-request-id': requestId });
    ctx.record({ ...base, status: 405, outcome: 'error', error: 'Method Not Allowed' });
    return undefined;
  }
  if (!isEmulatedModel(slug)) return fail(404, `Model ${slug} not found`);
  const model = slug;
  base.model = model;

  const auth = ctx.authorize(req);
  if ('error' in auth) return fail(401, auth.error);

  const slot = ctx.limiter.take(auth.key);
  if (!slot.ok) {
    const message = `Rate limit exceeded: your plan allows ${ctx.limiter.limit} requests per minute`;
    sendRateLimited(res, message, slot.retryAfterSeconds!, slot.resetAt!, { 'x-request-id': requestId });
    ctx.record({ ...base, status: 429, outcome: 'rate-limited', error: message });
    return undefined;
  }
  base.rateCountedAt = slot.at;

  const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType !== 'application/json') return fail(406, 'Invalid content type', {}, true);

  let body: Record<string, unknown>;
  try {
    const raw = (await readBody(req)).toString('utf8');
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return fail(badRequest, 'Request body must be a JSON object');
    }
    body = parsed as Record<string, unknown>;
  } catch (err) {
    if (err instanceof HttpError) return fail(err.status, err.message);
    return fail(badRequest, `Invalid JSON body: ${(err as Error).message}`);
  }
  const problems = checkParameters(model, body);
  if (problems.length > 0) return fail(badRequest, problems.join('; '));
  const prompt = body.prompt as string;
  base.prompt = prompt;
  const hit = ctx.blocked?.exec(prompt);
  if (hit) return fail(badRequest, `Prompt rejected by content policy: the prompt contains "${hit[1]}"`);

  const seed = typeof body.seed === 'number' ? body.seed : ctx.drawSeed();
  base.seed = seed;
  const spec = PROVIDER_MODELS[model];
  const steps = spec.steps ? ((body.steps as number | undefined) ?? spec.steps.default) : undefined;
  const size = ctx.sizes.sizeFor(model, body);
  const gpuSeconds = simulateGpuSeconds(
    { model, seed, width: size.width, height: size.height, steps },
    ctx.options.scaleGpuTimeByMegapixels
  );
  const costMicros = billMicros(model, gpuSeconds);

  const fault = ctx.faults.next({ model, prompt, api, bodyKey: canonicalJson(body) });
  if (fault) {
    const f = { outcome: 'fault' as const, fault: fault.kind };
    switch (fault.kind) {
      case '500':
        return fail(500, 'Internal Server Error', f);
      case '503':
        return fail(503, 'Service temporarily unavailable, please retry', f);
      case '401':
        return fail(401, 'Unauthorized. API key is invalid or may have expired', f);
      case '406':
        return fail(406, `Insufficient credits: spend limit reached for this key (injected fault)`, f, true);
      case '429': {
        const message = 'Rate limit exceeded, please retry later';
        const resetAt = ctx.now() + fault.retryAfterSeconds * 1000;
        sendRateLimited(res, message, fault.retryAfterSeconds, resetAt, { 'x-request-id': requestId });
        ctx.record({ ...base, status: 429, error: message, ...f });
        return undefined;
      }
      case 'hang': {
        // Never answered; the socket stays open until the client gives up or close() runs.
        const hung: RequestRecord = { ...base, status: null, outcome: 'hang', fault: 'hang' };
        ctx.record(hung);
        res.once('close', () => (hung.clientClosedAt = Date.now()));
        return undefined;
      }
      case 'junk-200':
        if (api === 'v1') {
          // In front of the GPU: nothing ran, nothing is billed.
          sendJunk200(res);
          ctx.record({ ...base, status: 200, outcome: 'junk', fault: 'junk-200' });
          return undefined;
        }
        break;
      default:
        break;
    }
  }
  const needMicros = Math.max(typicalMicros(model, steps), costMicros);
  const draftRates = ctx.draftRates;
  return {
    model,
    body,
    prompt,
    seed,
    steps,
    size,
    gpuSeconds,
    costMicros,
    needMicros,
    fault,
    apiKey: auth.key,
    draftRates,
  };
}

/**
 * Accepts and bills an admitted request if the balance covers it; otherwise answers the 406 and
 * returns undefined.
 */
function charge(
  ctx: EmulatorContext,
  res: ServerResponse,
  base: RequestRecord,
  a: Admitted,
  api: FaultApi
): BillingEntry | undefined {
  const entry = ctx.account.accept(a.needMicros, {
    requestId: base.requestId,
    api,
    model: a.model,
    seed: a.seed,
    ...(a.steps !== undefined ? { steps: a.steps } : {}),
    width: a.size.width,
    height: a.size.height,
    gpuSeconds: a.gpuSeconds,
    costMicros: a.costMicros,
    outcome: 'pending',
  });
  if (entry) return entry;
  const message = `Insufficient credits: balance ${usdLabel(ctx.account.balanceMicros)}, this call needs ${usdLabel(a.needMicros)}`;
  sendText(res, 406, message, { 'x-request-id': base.requestId });
  ctx.record({ ...base, status: 406, outcome: 'error', error: message });
  return undefined;
}

/** What a submit route does once its request is admitted and billed. */
type Accepted = (
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  base: RequestRecord,
  a: Admitted,
  entry: BillingEntry
) => Promise<void> | void;

/**
 * A generation submit route (`POST /{api}/{model}`): the checks, then the charge, then `accepted`;
 * whatever stops it on the way has been answered and recorded already.
 */
export function submitRoute(api: FaultApi, accepted: Accepted) {
  return async (
    ctx: EmulatorContext,
    req: IncomingMessage,
    res: ServerResponse,
    base: RequestRecord,
    slug: string
  ): Promise<void> => {
    const a = await admit(ctx, req, res, base, slug, api);
    if (!a) return;
    const entry = charge(ctx, res, base, a, api);
    if (!entry) return;
    await accepted(ctx, req, res, base, a, entry);
  };
}
