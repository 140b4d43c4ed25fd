/**
 * The requested-text check for one candidate: what the prompt asked for in quotes, what OCR read
 * in the image, and the fidelity between them (text-fidelity.ts). Text in a script the OCR data
 * does not cover is reported as not measured, never as a low score.
 */
import type { TextCheck } from '../../shared/scoring.js';
import type { OcrImage, OcrPool } from './ocr-pool.js';
import { requestedText } from './requested-text.js';
import { textFidelity } from './text-fidelity.js';

/** How much of what OCR read a result keeps. */
const MAX_READ_CHARS = 200;

/** undefined when the prompt asks for no text. */
export async function textFidelityFor(
  prompt: string,
  image: OcrImage,
  pool: Pick<OcrPool, 'recognize'>,
  signal?: AbortSignal
): Promise<TextCheck | undefined> {
  const wanted = requestedText(prompt);
  if (!wanted) return undefined;
  if (!wanted.measurable) return { requested: wanted.text, measured: false, reason: wanted.reason };
  const read = (await pool.recognize(image, signal)).replace(/\s+/g, ' ').trim();
  // Fidelity is measured on everything read; the record keeps a bounded excerpt (noise can read as
  // pages of characters, and the check travels in workflow results).
  return {
    requested: wanted.text,
    measured: true,
    read: read.length > MAX_READ_CHARS ? `${read.slice(0, MAX_READ_CHARS)}…` : read,
    fidelity: textFidelity(wanted.text, read),
  };
}
