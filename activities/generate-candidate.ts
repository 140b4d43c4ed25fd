import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { failure } from '../shared/failures.js';
import type { GenerateCandidateInput, GeneratedCandidate, GenerationFailureDetails } from '../shared/generation.js';
import { DEFAULT_RETRY_DELAYS, retryDelayMs, type RetryDelays } from '../shared/retry.js';
import type { BlobStore } from '../common/blob-store.js';
import { candidateKey } from './candidate-key.js';
import { SegmindError } from './segmind/errors.js';
import type { GeneratedImage } from './segmind/client.js';

/** The provider call the activity needs; the real one is SegmindClient.generate. */
export interface ImageProvider {
  generate(params: GenerateCandidateInput['params'], signal?: AbortSignal): Promise<GeneratedImage>;
}

export interface GenerateDeps {
  store: BlobStore;
  provider: ImageProvider;
  /** Back-off between attempts (the workflow waits what a failed attempt asks for). */
  retryDelays?: RetryDelays;
}

const RECORDS = 'candidates';
const HEARTBEAT_MS = 2_000;

type StoredCandidate = Omit<GeneratedCandidate, 'reused'>;

/** Heartbeats while the provider renders, so a cancelled or dead worker is noticed promptly. */
async function withHeartbeats<T>(work: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const timer = setInterval(() => ctx.heartbeat(), HEARTBEAT_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

export function createGenerateActivities({ store, provider, retryDelays = DEFAULT_RETRY_DELAYS }: GenerateDeps) {
  /**
   * Generates one candidate and stores it content-addressed. Idempotent per candidate key: when an
   * earlier attempt already stored this candidate (e.g. the worker died before reporting), the
   * stored result is returned and the provider is not called, so nothing is paid for twice.
   */
  async function generateCandidate(input: GenerateCandidateInput): Promise<GeneratedCandidate> {
    const key = candidateKey(input);
    const existing = await store.getRecord<StoredCandidate>(RECORDS, key);
    if (existing && (await store.has(existing.image))) return { ...existing, reused: true };

    const ctx = Context.current();
    let image: GeneratedImage;
    try {
      image = await withHeartbeats(() => provider.generate(input.params, ctx.cancellationSignal));
    } catch (err) {
      if (ctx.cancellationSignal.aborted) throw new CancelledFailure('generation cancelled');
      if (err instanceof SegmindError) {
        const details: GenerationFailureDetails = {
          ...(err.billed ? { billed: err.billed } : {}),
          retryDelayMs: retryDelayMs(retryDelays, input.attempt, err.retryAfterMs),
          ...(err.status !== undefined ? { status: err.status } : {}),
        };
        throw failure(err.type, err.message, details);
      }
      throw err;
    }
    let record: StoredCandidate;
    try {
      const ref = await store.put(image.bytes, image.contentType);
      record = {
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
      await store.putRecord(RECORDS, key, record);
    } catch (err) {
      // The provider was paid: the workflow books the call as unusable and retries.
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
    return { ...record, reused: false };
  }

  return { generateCandidate };
}
