/** Problems found in a manifest, and the error that carries all of them at once. */

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
    const sorted = [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    const count = sorted.length === 1 ? '1 problem' : `${sorted.length} problems`;
    super(
      `${fileName}: ${count}, no briefs were accepted:\n${sorted.map((p) => `  ${formatProblem(fileName, p)}`).join('\n')}`
    );
    this.problems = sorted;
  }
}

/**
 * The manifest file could not be read at all (missing, a directory, no permission), as opposed to read
 * and found wrong: a scheduled batch reports the first as `ManifestUnavailable`, the second as
 * `InvalidManifest`.
 */
export class ManifestUnreadableError extends ManifestError {}
