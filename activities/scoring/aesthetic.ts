/**
 * Aesthetic component, CLIP-IQA style (Wang, Chan & Loy, "Exploring CLIP for Assessing the Look and
 * Feel of Images", AAAI 2023): the softmax, at CLIP's logit scale of 100, of the image's similarity to
 * a positive and a negative prompt. It needs only the text tower already loaded for alignment, so no
 * extra weights file has to be shipped, pulled or licensed. Why this over the LAION linear head is in
 * docs/scoring.md.
 */
export type AntonymPair = [positive: string, negative: string];

/** The paper's quality pair. */
export const DEFAULT_AESTHETIC_PROMPTS: readonly AntonymPair[] = Object.freeze([['Good photo.', 'Bad photo.']]);

/** CLIP's trained logit scale (exp of 4.6052); the paper uses it unchanged. */
export const CLIP_LOGIT_SCALE = 100;

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** P(positive) = softmax(scale·[cos⁺, cos⁻])₀ for unit-length embeddings, in [0, 1]. */
export function antonymProbability(image: Float32Array, positive: Float32Array, negative: Float32Array): number {
  const margin = CLIP_LOGIT_SCALE * (dot(image, positive) - dot(image, negative));
  return 1 / (1 + Math.exp(-margin));
}
