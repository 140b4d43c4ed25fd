/** Problems found in a manifest, and the error that carries all of them at once. */

export interface ManifestProblem {
  /** 1-based line in the file where the brief (or the offending text) starts; absent for whole-file problems. */
  line?: number;
  /** The manifest field concerned, e.g. `prompt`, `metadata.channel` or `meta.channel`. */
  field?: string;
  message: string;
}

/**
 * Error texts may quote what a manifest says only as far as a reader needs to find it: a manifest path
 * may name a file that is not a manifest at all (an environment, a key file), and these messages reach
 * workflow history, the UI and completion callbacks. Field names are shown when short and name-like;
 * values only when short and plain; anything else is described by its size.
 */
const MAX_SHOWN_FIELD_CHARS = 40;
const MAX_SHOWN_VALUE_CHARS = 24;
// Control and bidi characters are let through: the manifest refuses them with their own message, and
// every print path escapes them (client/terminal-text.ts).
const FIELD_NAME = /^[\p{L}\p{N}\p{M}\p{Cc}\p{Cf} _.:-]+$/u;
const PLAIN_VALUE = /^[\p{L}\p{N}\p{M} _.:×+-]*$/u;

/** A field name as an error may show it: itself when short and name-like, otherwise only its length. */
export function shownFieldName(name: string): string {
  return name.length <= MAX_SHOWN_FIELD_CHARS && FIELD_NAME.test(name)
    ? name
    : `(${name.length} characters, not shown: not a field name)`;
}

/** A value as an error may show it: numbers, true/false/null and short plain text; anything else by kind. */
export function shownValue(value: unknown): string {
  if (typeof value === 'string') {
    return value.length <= MAX_SHOWN_VALUE_CHARS && PLAIN_VALUE.test(value)
      ? JSON.stringify(value)
      : `text of ${value.length} characters`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) {
    const text = String(value);
    return text.length <= MAX_SHOWN_VALUE_CHARS ? text : `a number of ${text.length} digits`;
  }
  if (Array.isArray(value)) return `an array of ${value.length} items`;
  return typeof value === 'object' ? 'an object' : typeof value;
}

export function formatProblem(fileName: string, p: ManifestProblem): string {
  const where = p.line === undefined ? fileName : `${fileName} line ${p.line}`;
  const field = p.field === undefined ? '' : `, field "${p.field}"`;
  return `${where}${field}: ${p.message}`;
}

const MAX_LISTED_PROBLEMS = 100;

/**
 * Thrown when a manifest has any problem. Carries every problem (sorted by line) so the user can
 * fix the whole file in one pass; no brief is accepted from a manifest with problems.
 */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  readonly problems: ManifestProblem[];

  constructor(
    readonly fileName: string,
    problems: ManifestProblem[]
  ) {
    // The one place every problem passes: field names are bounded here, whoever reported them.
    const sorted = problems
      .map((p) => (p.field === undefined ? p : { ...p, field: shownFieldName(p.field) }))
      .sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    const count = sorted.length === 1 ? '1 problem' : `${sorted.length} problems`;
    // A file that is not a manifest at all has a problem on every line: the message stays readable (and
    // small enough for a failure) with the first ones; `problems` keeps them all.
    const listed = sorted.slice(0, MAX_LISTED_PROBLEMS).map((p) => `  ${formatProblem(fileName, p)}`);
    if (sorted.length > MAX_LISTED_PROBLEMS) {
      listed.push(
        `  … and ${sorted.length - MAX_LISTED_PROBLEMS} more — fix these first, or check the file is a manifest`
      );
    }
    super(`${fileName}: ${count}, no briefs were accepted:\n${listed.join('\n')}`);
    this.problems = sorted;
  }
}

/**
 * The manifest file could not be read at all (missing, a directory, no permission), as opposed to read
 * and found wrong: a scheduled batch reports the first as `ManifestUnavailable`, the second as
 * `InvalidManifest`.
 */
export class ManifestUnreadableError extends ManifestError {}
