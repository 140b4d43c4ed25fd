/**
 * What the gate benchmark buys and keeps: each brief's candidates with their score and the emulator's
 * ground truth, per world. A world is a provider's quality (the emulator's two draft rates).
 */
import type { FluxModel } from '../../shared/price-card.js';

export interface World {
  name: string;
  /** Share of draft images with a pixel defect (the emulator's `draftDefectRate`). */
  draftDefectRate: number;
  /** Share of draft images whose quoted text is misspelt (the emulator's `misspellingRate`). */
  misspellingRate: number;
}

export const WORLDS: readonly World[] = [
  { name: 'today', draftDefectRate: 0.6, misspellingRate: 0.4 },
  { name: 'good', draftDefectRate: 0.15, misspellingRate: 0.1 },
  { name: 'bad-day', draftDefectRate: 0.8, misspellingRate: 0.6 },
];

/** One bought and scored image, joined with what the emulator knows it drew. */
export interface Candidate {
  phase: 'draft' | 'reroll';
  /** Position among the brief's candidates of that phase. */
  index: number;
  model: FluxModel;
  seed: number;
  /** The gate's score, as the scoring activity gives it. */
  score: number;
  /** Ground truth: the pixel defect drawn ('clean' when none). */
  defect: string;
  /** Ground truth: the text the brief quotes (upper-cased, as lettered) and what was painted; absent without text. */
  askedText?: string;
  paintedText?: string;
  /** Clean, and spelt as asked where text was asked. */
  usable: boolean;
  /** Billed by the emulator for this image. */
  costMicros: number;
  /** Provider API requests this image took (the emulator's request log). */
  requests: number;
  /** Time to buy it (emulator latency × latencyScale plus rendering) and its share of its scoring call. */
  buyMs: number;
  scoreMs: number;
}

export interface BriefPool {
  id: string;
  /** Drafts in candidate order, then the re-roll(s). */
  drafts: Candidate[];
  rerolls: Candidate[];
}

export interface WorldPool {
  world: World;
  briefs: BriefPool[];
  /** What the scorer said about itself (model, random weights). */
  scorer: { modelId: string; randomWeights: boolean; aesthetic: string };
  /** The emulator's total bill for the whole purchase; the candidates' costs add up to it. */
  billedMicros: number;
  /** Wall time of buying and scoring the pool (when it was made, not when replayed from the cache). */
  wallMs: number;
}

export function isMisspelt(c: Candidate): boolean {
  return c.askedText !== undefined && c.paintedText !== c.askedText;
}
