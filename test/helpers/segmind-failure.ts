import { SegmindError } from '../../activities/segmind/errors.js';

/** The SegmindError a provider call fails with; anything else (or success) fails the test. */
export async function segmindFailure(p: Promise<unknown>): Promise<SegmindError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof SegmindError) return err;
    throw err;
  }
  throw new Error('expected a SegmindError');
}
