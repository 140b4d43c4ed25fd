/**
 * What a provider call is booked at, from what its answer reports: the accounting headers of a v1
 * image or a v2 result (`x-cost`, `x-generation-time`, `x-remaining-credits`, `x-request-id`) and a v2
 * result's `metrics`. The basis says how far the figure is the provider's: `provider` (reported cost,
 * or billed GPU seconds at the card's rate), `price-card` (nothing usable reported: the card's
 * expectation) or `suspect` (an answer that is not the provider's image but shows a job ran). Pure: no
 * I/O, so every rule is tested on literal fixtures (test/segmind-billing.test.ts).
 */
import type { BilledCall, CostBasis } from '../../shared/generation.js';
import type { SegmindRequestBody } from '../../shared/generation-request.js';
import { PRICE_CARD, callCostMicros, expectedCostMicros, type FluxModel } from '../../shared/price-card.js';
import { usdToMicros } from '../../shared/money.js';
import { header, numberHeader, type ResponseHeaders } from './headers.js';
import { ledgerRequestId } from './provider-text.js';

function stepsOf(body: SegmindRequestBody): number | undefined {
  return typeof body.steps === 'number' ? body.steps : undefined;
}

function finiteNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** The balance an answer reports (`x-remaining-credits`), in micro-dollars; undefined when not reported. */
export function remainingCreditsMicros(headers: ResponseHeaders): number | undefined {
  const credits = numberHeader(headers, 'x-remaining-credits');
  return credits !== undefined ? usdToMicros(credits) : undefined;
}

/** The amount a 200's accounting headers report, and whether the provider reported it. */
export function billingFromHeaders(model: FluxModel, headers: ResponseHeaders, body: SegmindRequestBody): BilledCall {
  const pricingMode = PRICE_CARD[model].pricing.mode;
  const gpuSeconds = numberHeader(headers, 'x-generation-time');
  const cost = numberHeader(headers, 'x-cost');
  const credits = remainingCreditsMicros(headers);
  let costMicros: number;
  let basis: CostBasis = 'provider';
  if (cost !== undefined) costMicros = usdToMicros(cost);
  else if (pricingMode === 'gpu-second' && gpuSeconds !== undefined) costMicros = callCostMicros(model, gpuSeconds);
  else {
    costMicros = expectedCostMicros(model, stepsOf(body));
    basis = 'price-card';
  }
  return {
    requestId: ledgerRequestId(header(headers, 'x-request-id')),
    model,
    pricingMode,
    ...(pricingMode === 'gpu-second' && gpuSeconds !== undefined ? { gpuSeconds } : {}),
    costMicros,
    basis,
    ...(credits !== undefined ? { creditsRemainingMicros: credits } : {}),
  };
}

/** Whether a response carries any of Segmind's accounting headers, i.e. evidence that a job ran. */
function hasAccountingHeaders(headers: ResponseHeaders): boolean {
  return ['x-cost', 'x-request-id', 'x-remaining-credits'].some((name) => header(headers, name) !== undefined);
}

/**
 * What a 200 that is not the provider's answer (a v1 body that is not an image, a v2 submit with an
 * unusable `request_id`) is booked at. A CDN or WAF in front of the API answers with an HTML page and
 * none of Segmind's headers, and nothing was charged: with no accounting header (x-cost, x-request-id,
 * x-remaining-credits) it is not booked (undefined). With one, the provider probably did run (and
 * charge) a job: its request id and balance are kept, the amount is the price card's (the figures of
 * an answer that is not the provider's are not trusted), flagged `suspect`.
 */
export function junkBilling(
  model: FluxModel,
  headers: ResponseHeaders,
  body: SegmindRequestBody
): BilledCall | undefined {
  if (!hasAccountingHeaders(headers)) return undefined;
  const { requestId, pricingMode, creditsRemainingMicros } = billingFromHeaders(model, headers, body);
  return {
    requestId,
    model,
    pricingMode,
    costMicros: expectedCostMicros(model, stepsOf(body)),
    basis: 'suspect',
    ...(creditsRemainingMicros !== undefined ? { creditsRemainingMicros } : {}),
  };
}

/** A v2 job charged at submit whose result has not told its cost (yet): the price card's expectation. */
export function jobEstimate(model: FluxModel, requestId: string, body: SegmindRequestBody): BilledCall {
  return {
    requestId,
    model,
    pricingMode: PRICE_CARD[model].pricing.mode,
    costMicros: expectedCostMicros(model, stepsOf(body)),
    basis: 'price-card',
  };
}

/**
 * What a COMPLETED job was charged: `metrics.cost_usd`, else (per-second models) the billed
 * `metrics.gpu_seconds` at the card's rate, else `x-cost` / `x-generation-time`, else the price
 * card's expectation. The balance is the result's `x-remaining-credits` (the balance when the
 * result was fetched, which later jobs may already have lowered).
 */
export function jobCharge(
  model: FluxModel,
  requestId: string,
  body: SegmindRequestBody,
  json: Record<string, unknown>,
  headers: ResponseHeaders
): BilledCall {
  const pricingMode = PRICE_CARD[model].pricing.mode;
  const metrics = (typeof json.metrics === 'object' && json.metrics !== null ? json.metrics : {}) as Record<
    string,
    unknown
  >;
  const costUsd = finiteNumber(metrics.cost_usd);
  const gpuSeconds = finiteNumber(metrics.gpu_seconds);
  const fromHeaders = billingFromHeaders(model, headers, body);
  let costMicros: number;
  let basis: CostBasis = 'provider';
  if (costUsd !== undefined) costMicros = usdToMicros(costUsd);
  else if (pricingMode === 'gpu-second' && gpuSeconds !== undefined) costMicros = callCostMicros(model, gpuSeconds);
  else ({ basis, costMicros } = fromHeaders);
  const gpu = gpuSeconds ?? fromHeaders.gpuSeconds;
  const credits = fromHeaders.creditsRemainingMicros;
  return {
    requestId,
    model,
    pricingMode,
    ...(pricingMode === 'gpu-second' && gpu !== undefined ? { gpuSeconds: gpu } : {}),
    costMicros,
    basis,
    ...(credits !== undefined ? { creditsRemainingMicros: credits } : {}),
  };
}
