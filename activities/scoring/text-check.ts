/**
 * The requested-text check for one candidate: what the prompt asked for in quotes, what OCR read
 * in the image, and the fidelity between them (text-fidelity.ts). Text in a script the OCR data
 * does not cover is reported as not measured, never as a low score.
 */
import type { TextCheck } from '../../shared/scoring.js';
import type { OcrPool } from './ocr-pool.js';
import { requestedText } from './requested-text.js';
import { textFidelity } from './text-fidelity.js';

/** undefined when the prompt asks for no text. */
export async function textFidelityFor(
  prompt: string,
  image: Uint8Array,
  pool: Pick<OcrPool, 'recognize'>
): Promise<TextCheck | undefined> {
  const wanted = requestedText(prompt);
  if (!wanted) return undefined;
  if (!wanted.measurable) return { requested: wanted.text, measured: false, reason: wanted.reason ?? 'not measurable' };
  const read = (await pool.recognize(image)).replace(/\s+/g, ' ').trim();
  return { requested: wanted.text, measured: true, read, fidelity: textFidelity(wanted.text, read) };
}
