import { SegmindError, classifyStatus, refine406, retryAfterMs } from '../activities/segmind/errors.js';

describe('Segmind error classification', () => {
  test.each([
    [401, 'SegmindKeyRejected', false],
    [403, 'SegmindKeyRejected', false],
    [402, 'SegmindInsufficientCredits', false],
    [400, 'SegmindInvalidRequest', false],
    [422, 'SegmindInvalidRequest', false],
    [404, 'SegmindModelNotFound', false],
    [408, 'SegmindTimeout', true],
    [429, 'SegmindRateLimited', true],
    [500, 'SegmindServerError', true],
    [503, 'SegmindServerError', true],
  ] as const)('%i is %s (retryable: %s)', (status, kind, retryable) => {
    const classified = classifyStatus(status);
    expect(classified.kind).toBe(kind);
    expect(new SegmindError(classified.kind, 'x').retryable).toBe(retryable);
  });

  test('406 is insufficient credits or a bad request depending on the body', () => {
    expect(refine406('Insufficient credits: balance $0.01, this call needs $0.05')).toBe('SegmindInsufficientCredits');
    expect(refine406('Invalid content type')).toBe('SegmindInvalidRequest');
    expect(new SegmindError('SegmindInsufficientCredits', 'x').retryable).toBe(false);
  });

  test('Retry-After in seconds or as an HTTP date; Segmind reset header as a fallback', () => {
    const now = Date.parse('2026-11-24T12:00:00Z');
    expect(retryAfterMs({ 'retry-after': '3' }, now)).toBe(3_000);
    expect(retryAfterMs({ 'retry-after': '0.5' }, now)).toBe(500);
    expect(retryAfterMs({ 'retry-after': 'Tue, 24 Nov 2026 12:00:10 GMT' }, now)).toBe(10_000);
    expect(retryAfterMs({ 'retry-after': 'Tue, 24 Nov 2026 11:00:00 GMT' }, now)).toBe(0);
    expect(retryAfterMs({ 'x-rate-limit-reset-at-utc': '2026-11-24T12:00:02Z' }, now)).toBe(2_000);
    expect(retryAfterMs({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(retryAfterMs({}, now)).toBeUndefined();
  });
});
