/** Problems found in a manifest, and the error that carries all of them at once. */
import { shownFieldName } from '../../shared/shown-text.js';

export interface ManifestProblem {
  /** 1-based line in the file where the brief (or the offending text) starts; absent for whole-file problems. */
  line?: number;
  /** The manifest field concerned, e.g. `prompt`, `metadata.channel` or `meta.channel`. */
  field?: string;
  message: string;
}

export function formatProblem(fileName: string, p: ManifestProblem): string {
  const where = p.line === undefined ? fileName : `${fileName} line ${p.line}`;
  const field = p.field === undefined ? '' : `, field "${p.field}"`;
  return `${where}${field}: ${p.message}`;
}

const MAX_LISTED_PROBLEMS = 100;

/**
 * A manifest's problems, kept as objects only up to one past what a message lists; the rest are only
 * counted. A file that is not a manifest has a problem on every line: 20 MiB of `{` lines made ten
 * million problem objects (gigabytes, minutes of sorting) for a message that shows a hundred.
 */
export class ProblemList {
  readonly kept: ManifestProblem[] = [];
  /** Problems found past the kept ones. */
  more = 0;
  /** Lines a parser stopped checking once the list was full (JSON lines: each check is costly). */
  unchecked = 0;

  get full(): boolean {
    return this.kept.length > MAX_LISTED_PROBLEMS;
  }

  get size(): number {
    return this.kept.length + this.more;
  }

  add(...problems: ManifestProblem[]): void {
    for (const p of problems) {
      if (this.full) this.more++;
      else this.kept.push(p);
    }
  }
}

/**
 * Thrown when a manifest has any problem. Lists the first problems (sorted by line) so the user can
 * fix the file in one pass; no brief is accepted from a manifest with problems.
 */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  /** The kept problems (at most one past those listed in the message). */
  readonly problems: ManifestProblem[];

  constructor(
    readonly fileName: string,
    found: ManifestProblem[] | ProblemList
  ) {
    const list = found instanceof ProblemList ? found : new ProblemList();
    if (!(found instanceof ProblemList)) for (const p of found) list.add(p);
    // The one place every problem passes: field names are bounded here, whoever reported them.
    const sorted = list.kept
      .map((p) => (p.field === undefined ? p : { ...p, field: shownFieldName(p.field) }))
      .sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    // A file that is not a manifest at all has a problem on every line: the message stays readable (and
    // small enough for a failure) with the first ones.
    const listed = sorted.slice(0, MAX_LISTED_PROBLEMS).map((p) => `  ${formatProblem(fileName, p)}`);
    const unlisted = list.size - listed.length;
    const more = [
      unlisted > 0 ? `${unlisted} more ${unlisted === 1 ? 'problem' : 'problems'}` : undefined,
      list.unchecked > 0 ? `${list.unchecked} more lines not checked` : undefined,
    ].filter((part) => part !== undefined);
    if (more.length > 0) {
      listed.push(`  … and ${more.join(', ')} — fix these first, or check the file is a manifest`);
    }
    const count = `${list.unchecked > 0 ? 'at least ' : ''}${list.size} ${list.size === 1 ? 'problem' : 'problems'}`;
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
