/**
 * The aesthetic component's methods. Default: the LAION aesthetic predictor's linear head
 * (laion-head.ts), bound to CLIP ViT-B/32. Option: CLIP-IQA (Wang, Chan & Loy, "Exploring CLIP for
 * Assessing the Look and Feel of Images", AAAI 2023): the softmax, at CLIP's logit scale of 100, of the
 * image's similarity to a positive and a negative prompt; it works with any CLIP. See docs/scoring.md.
 */
export type AestheticMethod = 'laion' | 'clip-iqa';

export const AESTHETIC_METHODS: readonly AestheticMethod[] = Object.freeze(['laion', 'clip-iqa']);

/** Environment variable choosing the method; documented in docs/scoring.md. */
export const AESTHETIC_ENV = 'THUMBGATE_AESTHETIC';

/** The method from `THUMBGATE_AESTHETIC` (default `laion`); anything else throws RangeError. */
export function aestheticMethodFromEnv(env: NodeJS.ProcessEnv = process.env): AestheticMethod {
  const value = env[AESTHETIC_ENV]?.trim().toLowerCase();
  if (value === undefined || value === '') return 'laion';
  if ((AESTHETIC_METHODS as readonly string[]).includes(value)) return value as AestheticMethod;
  throw new RangeError(`${AESTHETIC_ENV} must be ${AESTHETIC_METHODS.join(' or ')}, got ${JSON.stringify(value)}`);
}

export type AntonymPair = [positive: string, negative: string];

/** The paper's quality pair. */
export const DEFAULT_AESTHETIC_PROMPTS: readonly AntonymPair[] = Object.freeze([['Good photo.', 'Bad photo.']]);

/** CLIP-IQA needs a pair to compare against: without one the component would be a constant. */
export function checkAestheticPrompts(pairs: readonly AntonymPair[]): void {
  if (pairs.length === 0)
    throw new RangeError('aestheticPrompts must hold at least one pair for the CLIP-IQA aesthetic');
}

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
