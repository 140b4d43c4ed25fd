/** How a command prints: JSON for schedulers (`--json`), plain text for people. */
export interface Output {
  json: boolean;
  /** The command's result: printed as JSON or via `text`. */
  result(value: unknown, text: () => string): void;
  /** Progress and notes: stderr, so stdout stays machine-readable. */
  note(message: string): void;
}

export function createOutput(json: boolean, stdout = process.stdout, stderr = process.stderr): Output {
  return {
    json,
    result(value, text) {
      stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
    },
    note(message) {
      stderr.write(`${message}\n`);
    },
  };
}

/** Left-aligned text columns, numbers right-aligned. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length)));
  const numeric = (s: string): boolean => /^[-$]?[\d.,]+%?$/.test(s);
  return rows
    .map((r) =>
      r
        .map((cell, col) => (numeric(cell) ? cell.padStart(widths[col]!) : cell.padEnd(widths[col]!)))
        .join('  ')
        .trimEnd()
    )
    .join('\n');
}
