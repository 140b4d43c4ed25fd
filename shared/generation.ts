/** Types that cross the workflow/activity boundary for provider calls. Sandbox-safe. */
import type { BlobRef } from './blob-ref.js';
import type { GenerationParams } from './generation-request.js';
import type { FluxModel, PricingMode } from './price-card.js';

export type Phase = 'draft' | 'reroll';

/**
 * What an amount in the ledger rests on: `provider` — the provider reported it (a cost header, billed
 * GPU time, a v2 job's metrics); `price-card` — estimated from the price card because the provider
 * said nothing about it; `suspect` — a 200 that was not an image yet carried billing evidence, booked
 * at the price card so the reconciliation can find it.
 */
export type CostBasis = 'provider' | 'price-card' | 'suspect';

/** What the provider charged for one call, as it reported it. */
export interface BilledCall {
  /** Provider request id (`x-request-id`); the ledger's de-duplication key. */
  requestId: string;
  model: FluxModel;
  pricingMode: PricingMode;
  /** Billed GPU-seconds, for per-second models. */
  gpuSeconds?: number;
  costMicros: number;
  basis: CostBasis;
  /** Balance after the call, when the provider reports it. */
  creditsRemainingMicros?: number;
}

/** Identifies one candidate across retries, crashes and replays. */
export interface CandidateSlot {
  batchId: string;
  thumbnailId: string;
  phase: Phase;
  candidateIndex: number;
}

export interface GenerateCandidateInput extends CandidateSlot {
  params: GenerationParams;
  /** 1-based attempt number, counted by the workflow (retries live in workflow state). */
  attempt: number;
}

export interface GeneratedCandidate extends CandidateSlot {
  /** Deterministic key of (slot, model, seed, parameters); the stored record's name. */
  candidateKey: string;
  image: BlobRef;
  width: number;
  height: number;
  model: FluxModel;
  seed: number;
  billed: BilledCall;
  /** Attempt whose provider call produced the image. */
  attempt: number;
  /** True when a retry found the candidate already stored and did not call the provider. */
  reused: boolean;
}

/**
 * What asking the provider for a candidate gave: the candidate itself (already stored — a synchronous
 * call, or one an earlier attempt paid for), or an accepted asynchronous job to collect. The job is
 * paid for from the moment it is accepted, so `billed` (a price-card estimate until its result says
 * otherwise) is booked at once.
 */
export type CandidateRequest =
  { kind: 'stored'; candidate: GeneratedCandidate } | { kind: 'accepted'; requestId: string; billed: BilledCall };

export interface CollectCandidateInput extends GenerateCandidateInput {
  /** The accepted job's request id: collecting is idempotent over it. */
  requestId: string;
}

/** A collected candidate (stored), or a job that is still queued or rendering. */
export type CollectResult = { kind: 'stored'; candidate: GeneratedCandidate } | { kind: 'pending'; status: string };

/**
 * Details attached to a failed generation attempt (ApplicationFailure details[0]), so the
 * workflow can book a call that was billed but unusable and honour the provider's back-off.
 */
export interface GenerationFailureDetails {
  billed?: BilledCall;
  /** How long the worker asks the workflow to wait before the next attempt (back-off, Retry-After). */
  retryDelayMs?: number;
  status?: number;
}

/** One billed provider call, as the workflow books it. */
export interface LedgerEntry {
  requestId: string;
  thumbnailId: string;
  phase: Phase;
  candidateIndex: number;
  model: FluxModel;
  pricingMode: PricingMode;
  gpuSeconds?: number;
  costMicros: number;
  basis: CostBasis;
  attempt: number;
  creditsRemainingMicros?: number;
  /** `image` when the call produced a stored candidate, `unusable` when it was billed but its image was bad. */
  outcome: 'image' | 'unusable';
}
