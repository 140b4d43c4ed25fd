/**
 * Provider calls as activities. Two transports, one contract for the workflow:
 * - v2 (default): `requestCandidate` submits a job and returns its request id at once, so the id is in
 *   history before anything waits on it; `collectCandidate` polls, downloads straight into the blob
 *   store and is idempotent over that id. A crash, timeout or deploy after a submit never submits
 *   again: the submission is recorded under the candidate's key before the activity returns.
 * - v1: `requestCandidate` makes the synchronous call and returns the stored candidate. A crash while
 *   the provider renders leaves a job that was charged and whose image is lost (see docs/provider.md).
 * Every failure leaves here as a provider-neutral type of shared/failures.ts, with the billed call
 * and the delay the worker asks for before another attempt.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { BlobStore } from '../node/blob-store.js';
import { failure } from '../shared/failures.js';
import type {
  BilledCall,
  CandidateRequest,
  CollectCandidateInput,
  CollectResult,
  GenerateCandidateInput,
  GeneratedCandidate,
  GenerationFailureDetails,
} from '../shared/generation.js';
import { toRequestBody } from '../shared/generation-request.js';
import { PRICE_CARD, expectedCostMicros } from '../shared/price-card.js';
import { DEFAULT_RETRY_DELAYS, retryDelayMs, type RetryDelays } from '../shared/retry.js';
import { candidateKey } from './candidate-key.js';
import type { SegmindClient } from './segmind/client.js';
import type { GeneratedImage } from './segmind/image-body.js';
import { SegmindError } from './segmind/errors.js';

/** The provider calls the activities need; the real one is SegmindClient. */
export type ImageProvider = Pick<SegmindClient, 'generate' | 'submit' | 'status' | 'result' | 'credits'>;

export type Transport = 'v1' | 'v2';

export interface GenerateDeps {
  store: BlobStore;
  provider: ImageProvider;
  /** `v2` (async, the default) or `v1` (sync, in maintenance at Segmind). */
  transport?: Transport;
  /** Back-off between attempts (the workflow waits what a failed attempt asks for). */
  retryDelays?: RetryDelays;
  /** Pause between two status polls within one collect call. */
  pollIntervalMs?: number;
  /** How long one collect call polls before it hands back to the workflow (which waits on a timer). */
  collectWindowMs?: number;
}

const CANDIDATES = 'candidates';
const SUBMISSIONS = 'submissions';
const HEARTBEAT_MS = 2_000;

type StoredCandidate = Omit<GeneratedCandidate, 'reused'>;

interface Submission {
  requestId: string;
  billed: BilledCall;
}

/** Heartbeats while the provider works, so a cancelled or dead worker is noticed promptly. */
async function withHeartbeats<T>(work: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const timer = setInterval(() => ctx.heartbeat(), HEARTBEAT_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

export function createGenerateActivities({
  store,
  provider,
  transport = 'v2',
  retryDelays = DEFAULT_RETRY_DELAYS,
  pollIntervalMs = 1_000,
  collectWindowMs = 30_000,
}: GenerateDeps) {
  /** The provider's error as a failure of the table, with what was billed and when to try again. */
  function providerFailure(err: unknown, input: GenerateCandidateInput, billed?: BilledCall): never {
    const ctx = Context.current();
    if (ctx.cancellationSignal.aborted) throw new CancelledFailure('generation cancelled');
    if (!(err instanceof SegmindError)) throw err;
    const paid = err.billed ?? billed;
    const details: GenerationFailureDetails = {
      ...(paid ? { billed: paid } : {}),
      retryDelayMs: retryDelayMs(retryDelays, input.attempt, err.retryAfterMs),
      ...(err.status !== undefined ? { status: err.status } : {}),
    };
    throw failure(err.type, err.message, details);
  }

  async function storedCandidate(key: string): Promise<GeneratedCandidate | undefined> {
    const existing = await store.getRecord<StoredCandidate>(CANDIDATES, key);
    return existing && (await store.has(existing.image)) ? { ...existing, reused: true } : undefined;
  }

  /** Stores a delivered image under the candidate's key; from then on it is never requested again. */
  async function keep(input: GenerateCandidateInput, key: string, image: GeneratedImage): Promise<GeneratedCandidate> {
    try {
      const ref = await store.put(image.bytes, image.contentType);
      const record: StoredCandidate = {
        batchId: input.batchId,
        thumbnailId: input.thumbnailId,
        phase: input.phase,
        candidateIndex: input.candidateIndex,
        candidateKey: key,
        image: ref,
        width: image.width,
        height: image.height,
        model: input.params.model,
        seed: input.params.seed,
        billed: image.billed,
        attempt: input.attempt,
      };
      await store.putRecord(CANDIDATES, key, record);
      return { ...record, reused: false };
    } catch (err) {
      // The provider was paid: the workflow books the call as unusable and tries again.
      const details: GenerationFailureDetails = {
        billed: image.billed,
        retryDelayMs: retryDelayMs(retryDelays, input.attempt),
      };
      throw failure(
        'CandidateNotStored',
        `the image was generated but could not be stored: ${(err as Error).message}`,
        details
      );
    }
  }

  /**
   * Asks the provider for one candidate. Returns the stored candidate when an earlier attempt already
   * has it (nothing is paid twice), or when the transport is synchronous; otherwise the accepted job.
   * Runs on the provider queue, whose task-queue rate limit keeps every worker together within the
   * plan's requests per minute.
   */
  async function requestCandidate(input: GenerateCandidateInput): Promise<CandidateRequest> {
    const key = candidateKey(input);
    const stored = await storedCandidate(key);
    if (stored) return { kind: 'stored', candidate: stored };
    const signal = Context.current().cancellationSignal;

    if (transport === 'v1') {
      let image: GeneratedImage;
      try {
        image = await withHeartbeats(() => provider.generate(input.params, signal));
      } catch (err) {
        providerFailure(err, input);
      }
      return { kind: 'stored', candidate: await keep(input, key, image) };
    }

    // A job an earlier attempt submitted (its worker died before reporting) is collected, not bought again.
    const submitted = await store.getRecord<Submission>(SUBMISSIONS, key);
    if (submitted) return { kind: 'accepted', requestId: submitted.requestId, billed: submitted.billed };
    let requestId: string;
    let credits: number | undefined;
    try {
      ({ requestId, creditsRemainingMicros: credits } = await provider.submit(input.params, signal));
    } catch (err) {
      providerFailure(err, input);
    }
    const { model } = input.params;
    const steps = toRequestBody(input.params).steps;
    const billed: BilledCall = {
      requestId,
      model,
      pricingMode: PRICE_CARD[model].pricing.mode,
      costMicros: expectedCostMicros(model, typeof steps === 'number' ? steps : undefined),
      basis: 'price-card',
      ...(credits !== undefined ? { creditsRemainingMicros: credits } : {}),
    };
    await store.putRecord(SUBMISSIONS, key, { requestId, billed } satisfies Submission);
    return { kind: 'accepted', requestId, billed };
  }

  /**
   * Polls an accepted job for up to `collectWindowMs` (heartbeating), then downloads its image into the
   * store. Idempotent over the request id: fetching a result again costs nothing, so Temporal may retry
   * it freely. `pending` hands the wait back to the workflow, which sleeps on a durable timer.
   */
  async function collectCandidate(input: CollectCandidateInput): Promise<CollectResult> {
    const key = candidateKey(input);
    const stored = await storedCandidate(key);
    if (stored) return { kind: 'stored', candidate: stored };
    const ctx = Context.current();
    const { model } = input.params;
    const submitted = await store.getRecord<Submission>(SUBMISSIONS, key);
    try {
      const image = await withHeartbeats(async () => {
        const until = Date.now() + collectWindowMs;
        for (;;) {
          const status = await provider.status(model, input.requestId, ctx.cancellationSignal);
          if (status === 'COMPLETED' || status === 'FAILED') {
            return provider.result(model, input.requestId, input.params, ctx.cancellationSignal);
          }
          if (Date.now() + pollIntervalMs > until) return status;
          await sleep(pollIntervalMs, undefined, { signal: ctx.cancellationSignal });
        }
      });
      if (typeof image === 'string') return { kind: 'pending', status: image };
      return { kind: 'stored', candidate: await keep(input, key, image) };
    } catch (err) {
      providerFailure(err, input, submitted?.billed);
    }
  }

  /** The account's balance, for reconciling a batch's ledger with what the provider charged. */
  async function providerBalance(): Promise<number> {
    try {
      return await provider.credits(Context.current().cancellationSignal);
    } catch (err) {
      if (err instanceof SegmindError) throw failure(err.type, err.message);
      throw err;
    }
  }

  return { requestCandidate, collectCandidate, providerBalance };
}
