import { SegmindError, classifyStatus, retryAfterMs } from '../activities/segmind/errors.js';
import { FAILURES } from '../shared/failures.js';

describe('Segmind answers map onto provider-neutral failure types', () => {
  test.each([
    [401, 'ProviderKeyRejected', false],
    [403, 'ProviderKeyRejected', false],
    [402, 'ProviderOutOfCredits', false],
    [400, 'ProviderInvalidRequest', false],
    [422, 'ProviderInvalidRequest', false],
    [404, 'ProviderModelNotFound', false],
    [408, 'ProviderTimeout', true],
    [429, 'ProviderRateLimited', true],
    [500, 'ProviderServerError', true],
    [503, 'ProviderServerError', true],
    [599, 'ProviderServerError', true],
  ] as const)('%i is %s (retryable: %s)', (status, type, retryable) => {
    expect(classifyStatus(status)).toBe(type);
    expect(new SegmindError(classifyStatus(status), 'x').retryable).toBe(retryable);
  });

  test('406 is insufficient credits or a bad request depending on the body', () => {
    expect(classifyStatus(406, 'Insufficient credits: balance $0.01, this call needs $0.05')).toBe(
      'ProviderOutOfCredits'
    );
    expect(classifyStatus(406, 'Invalid content type')).toBe('ProviderInvalidRequest');
  });

  test('a rejected key, an empty balance and an unknown model stop the batch; a bad request does not', () => {
    expect(FAILURES.ProviderKeyRejected.stopsBatch).toBe(true);
    expect(FAILURES.ProviderOutOfCredits.stopsBatch).toBe(true);
    expect(FAILURES.ProviderModelNotFound.stopsBatch).toBe(true);
    expect(FAILURES.ProviderInvalidRequest.stopsBatch).toBe(false);
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

  test('an expired v2 result is not retried: only a new, billed request could replace it', () => {
    expect(new SegmindError('ProviderResultExpired', 'gone', { status: 410 }).retryable).toBe(false);
  });
});
