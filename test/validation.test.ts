import {
  integerExpectation,
  integerProblem,
  invalidParameter,
  parseInteger,
  withoutUndefined,
} from '../shared/validation.js';

describe('one wording for invalid values', () => {
  test('<name> must be <expected>, got <actual as JSON>', () => {
    expect(invalidParameter('size', 'WxH', '12')).toBe('size must be WxH, got "12"');
    expect(invalidParameter('fraction', 'a number from 0 to 1', NaN)).toBe(
      'fraction must be a number from 0 to 1, got NaN'
    );
    expect(invalidParameter('x', 'set', undefined)).toBe('x must be set, got undefined');
  });

  test('integer ranges are described one way', () => {
    expect(integerExpectation({ min: 1 })).toBe('a positive integer');
    expect(integerExpectation({ min: 0 })).toBe('a non-negative integer');
    expect(integerExpectation({ min: 2 })).toBe('an integer of at least 2');
    expect(integerExpectation({ max: 9 })).toBe('an integer of at most 9');
    expect(integerExpectation({ min: 1, max: 8, note: 'drafts per brief' })).toBe(
      'an integer from 1 to 8 (drafts per brief)'
    );
    expect(integerExpectation()).toBe('an integer');
  });

  test('integerProblem accepts integers in range only', () => {
    expect(integerProblem('n', 3, { min: 1, max: 3 })).toBeUndefined();
    expect(integerProblem('n', 4, { min: 1, max: 3 })).toBe('n must be an integer from 1 to 3, got 4');
    expect(integerProblem('n', 1.5)).toBe('n must be an integer, got 1.5');
    expect(integerProblem('n', '2', { min: 1 })).toBe('n must be a positive integer, got "2"');
  });

  test('parseInteger reads text and quotes it back when it is not an integer', () => {
    expect(parseInteger('--limit', '20', { min: 1 })).toBe(20);
    expect(parseInteger('--limit', ' ', { min: 1 })).toEqual({
      problem: '--limit must be a positive integer, got " "',
    });
    expect(parseInteger('--limit', '0', { min: 1 })).toEqual({
      problem: '--limit must be a positive integer, got "0"',
    });
    expect(parseInteger('N', '2.5')).toEqual({ problem: 'N must be an integer, got "2.5"' });
  });

  test('withoutUndefined keeps every other value, falsy ones too', () => {
    expect(withoutUndefined({ a: undefined, b: 0, c: null, d: '' })).toEqual({ b: 0, c: null, d: '' });
  });
});
