/**
 * Price-card arithmetic for a monthly volume: what the month costs on each Flux model alone, and
 * with the gate strategy (N drafts per thumbnail, the bottom share re-rolled on a pro model). All
 * sums are integer micro-dollars from shared/price-card.ts; USD appears only when formatting.
 */
import {
  BatchOptionsError,
  rerollCount,
  resolveBatchOptions,
  validateBatchOptions,
  type BatchOptions,
} from '../shared/batch-options.js';
import { draftCostMicros, gatePerThumbnailMicros, rerollCostMicros } from '../shared/gate-cost.js';
import { FLUX_MODELS, PRICE_CARD, type FluxModel } from '../shared/price-card.js';
import { formatUsd, microsToUsd } from '../shared/money.js';
import { integerProblem } from '../shared/validation.js';
import { table } from './output.js';

/** The seed's month; its MCN example is 300 thumbnails a day ≈ 9,000 a month. */
export const DAYS_PER_MONTH = 30;
export const SEED_MCN_VOLUME: Volume = Object.freeze({ perDay: 300 });

export type Volume = { perMonth: number } | { perDay: number };

export class EstimateInputError extends Error {
  override readonly name = 'EstimateInputError';
  constructor(
    readonly field: string,
    message: string
  ) {
    super(message);
  }
}

export interface ModelCost {
  model: FluxModel;
  bestFor: string;
  /** The seed's average cost per image on this model. */
  perThumbnailMicros: number;
  monthlyMicros: number;
}

export interface GateCost {
  candidates: number;
  draftModel: FluxModel;
  draftSteps: number | undefined;
  /** Cost of one draft image. */
  draftMicros: number;
  rerollModel: FluxModel;
  rerollFraction: number;
  /** Cost of one re-roll. */
  rerollMicros: number;
  rerollsPerMonth: number;
  /** candidates × draft + rerollFraction × re-roll, rounded to the micro-dollar. */
  perThumbnailMicros: number;
  /** Every draft plus whole re-rolls: ceil(rerollFraction × thumbnails) of them. */
  monthlyMicros: number;
  /** What the gate saves against making every thumbnail on the re-roll model (negative if it costs more). */
  savingsVsRerollModelMicros: number;
}

export interface CostEstimate {
  thumbnailsPerMonth: number;
  /** Present when the volume was given per day. */
  perDay?: number;
  models: ModelCost[];
  gate: GateCost;
}

function monthlyVolume(volume: Volume): { thumbnailsPerMonth: number; perDay?: number } {
  const [field, value] = 'perDay' in volume ? ['perDay', volume.perDay] : ['perMonth', volume.perMonth];
  const problem = integerProblem(field, value, { min: 0, note: 'thumbnails' });
  if (problem) throw new EstimateInputError(field, problem);
  return 'perDay' in volume
    ? { thumbnailsPerMonth: value * DAYS_PER_MONTH, perDay: value }
    : { thumbnailsPerMonth: value };
}

export function estimateCost(
  volume: Volume = SEED_MCN_VOLUME,
  options: BatchOptions = resolveBatchOptions()
): CostEstimate {
  const problems = validateBatchOptions(options);
  if (problems.length > 0) throw new BatchOptionsError(problems);
  const { thumbnailsPerMonth, perDay } = monthlyVolume(volume);

  const models = FLUX_MODELS.map((model) => ({
    model,
    bestFor: PRICE_CARD[model].bestFor,
    perThumbnailMicros: PRICE_CARD[model].averageMicros,
    monthlyMicros: thumbnailsPerMonth * PRICE_CARD[model].averageMicros,
  }));

  const { candidates, draftModel, rerollModel, rerollFraction } = options;
  const draftSteps = PRICE_CARD[draftModel].steps ? options.draftSteps : undefined;
  const draftMicros = draftCostMicros(draftModel, draftSteps);
  const rerollMicros = rerollCostMicros(rerollModel);
  const rerollsPerMonth = rerollCount(thumbnailsPerMonth, rerollFraction);
  const monthlyMicros = thumbnailsPerMonth * candidates * draftMicros + rerollsPerMonth * rerollMicros;
  const gate: GateCost = {
    candidates,
    draftModel,
    draftSteps,
    draftMicros,
    rerollModel,
    rerollFraction,
    rerollMicros,
    rerollsPerMonth,
    perThumbnailMicros: gatePerThumbnailMicros(options),
    monthlyMicros,
    savingsVsRerollModelMicros: thumbnailsPerMonth * PRICE_CARD[rerollModel].averageMicros - monthlyMicros,
  };
  return perDay === undefined ? { thumbnailsPerMonth, models, gate } : { thumbnailsPerMonth, perDay, models, gate };
}

/** `$1,234.56`: monthly totals are read by people, so group thousands. */
export function formatMonthlyUsd(micros: number): string {
  const usd = microsToUsd(micros);
  const text = Math.abs(usd).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return `${usd < 0 ? '-' : ''}$${text}`;
}

function percent(fraction: number): string {
  return `${Number((fraction * 100).toFixed(2))}%`;
}

export function gateLabel(gate: GateCost): string {
  const steps = gate.draftSteps === undefined ? '' : ` @ ${gate.draftSteps} steps`;
  return `gate: ${gate.candidates} × ${gate.draftModel}${steps}, re-roll ${percent(gate.rerollFraction)} on ${gate.rerollModel}`;
}

/** Plain-text table for the terminal, in the CLI's common table layout. */
export function formatEstimateTable(estimate: CostEstimate): string {
  const volume = estimate.thumbnailsPerMonth.toLocaleString('en-US');
  const per =
    estimate.perDay === undefined ? '' : ` (${estimate.perDay.toLocaleString('en-US')} a day × ${DAYS_PER_MONTH} days)`;
  const rows: string[][] = [
    ['strategy', 'per thumbnail', 'per month'],
    ...estimate.models.map((m) => [
      `${m.model}, every thumbnail`,
      formatUsd(m.perThumbnailMicros),
      formatMonthlyUsd(m.monthlyMicros),
    ]),
    [
      gateLabel(estimate.gate),
      formatUsd(estimate.gate.perThumbnailMicros),
      formatMonthlyUsd(estimate.gate.monthlyMicros),
    ],
  ];
  const { gate } = estimate;
  const saving = gate.savingsVsRerollModelMicros;
  const allReroll = estimate.thumbnailsPerMonth * PRICE_CARD[gate.rerollModel].averageMicros;
  const share = allReroll === 0 ? '' : ` (${Math.round((Math.abs(saving) / allReroll) * 100)}%)`;
  const summary =
    saving >= 0
      ? `The gate saves ${formatMonthlyUsd(saving)} a month${share} against making every thumbnail on ${gate.rerollModel}.`
      : `The gate costs ${formatMonthlyUsd(-saving)} a month more${share} than making every thumbnail on ${gate.rerollModel}.`;
  return [`Monthly cost of ${volume} thumbnails${per}`, '', table(rows), '', summary].join('\n');
}

export interface EstimateJson {
  thumbnailsPerMonth: number;
  perDay?: number;
  models: (ModelCost & { perThumbnailUsd: number; monthlyUsd: number })[];
  gate: GateCost & { perThumbnailUsd: number; monthlyUsd: number; savingsVsRerollModelUsd: number };
}

/** The estimate with USD figures alongside the micro-dollars, for `--json` output. */
export function estimateToJson(estimate: CostEstimate): EstimateJson {
  return {
    ...estimate,
    models: estimate.models.map((m) => ({
      ...m,
      perThumbnailUsd: microsToUsd(m.perThumbnailMicros),
      monthlyUsd: microsToUsd(m.monthlyMicros),
    })),
    gate: {
      ...estimate.gate,
      perThumbnailUsd: microsToUsd(estimate.gate.perThumbnailMicros),
      monthlyUsd: microsToUsd(estimate.gate.monthlyMicros),
      savingsVsRerollModelUsd: microsToUsd(estimate.gate.savingsVsRerollModelMicros),
    },
  };
}
