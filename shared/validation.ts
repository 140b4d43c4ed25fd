/**
 * The one wording of a validation message and the one integer check, for every layer (CLI flags,
 * worker configuration, batch options, Segmind request bodies). Pure and sandbox-safe.
 */

/** `<name> must be <expected>, got <actual>`, with `actual` as JSON (strings quoted; NaN as NaN). */
export function invalidParameter(name: string, expected: string, actual: unknown): string {
  const shown = typeof actual === 'number' ? String(actual) : (JSON.stringify(actual) ?? String(actual));
  return `${name} must be ${expected}, got ${shown}`;
}

export interface IntegerRange {
  min?: number;
  max?: number;
  /** What the number means, shown in parentheses after the range, e.g. `drafts per brief`. */
  note?: string;
}

/** `a positive integer`, `an integer from 1 to 8 (drafts per brief)`, … */
export function integerExpectation({ min, max, note }: IntegerRange = {}): string {
  const range =
    min !== undefined && max !== undefined
      ? `an integer from ${min} to ${max}`
      : min === 1
        ? 'a positive integer'
        : min === 0
          ? 'a non-negative integer'
          : min !== undefined
            ? `an integer of at least ${min}`
            : max !== undefined
              ? `an integer of at most ${max}`
              : 'an integer';
  return note ? `${range} (${note})` : range;
}

export function isIntegerIn(value: unknown, { min = -Infinity, max = Infinity }: IntegerRange = {}): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** The message for `value` if it is not an integer in `range`, else undefined. */
export function integerProblem(name: string, value: unknown, range: IntegerRange = {}): string | undefined {
  return isIntegerIn(value, range) ? undefined : invalidParameter(name, integerExpectation(range), value);
}

/**
 * An integer given as text (a flag or an environment variable), or the message naming the text as
 * given: `--limit must be a positive integer, got "ten"`.
 */
export function parseInteger(name: string, text: string, range: IntegerRange = {}): number | { problem: string } {
  const n = text.trim() === '' ? NaN : Number(text);
  return isIntegerIn(n, range) ? n : { problem: invalidParameter(name, integerExpectation(range), text) };
}

/** A copy without the keys whose value is `undefined`, so spreading it over defaults keeps them. */
export function withoutUndefined<T extends object>(partial: T): Partial<T> {
  return Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as Partial<T>;
}
