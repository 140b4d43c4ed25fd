import { forTerminal, jsonForTerminal } from './terminal-text.js';

/**
 * How a command prints: JSON for schedulers (`--json`), plain text for people. Every text path goes
 * through {@link forTerminal}, and JSON through {@link jsonForTerminal}, so provider-derived text
 * (failure reasons, messages, OCR reads) cannot drive the terminal.
 */
export interface Output {
  json: boolean;
  /** The command's result: printed as JSON or via `text`. */
  result(value: unknown, text: () => string): void;
  /** Progress and notes: stderr, so stdout stays machine-readable. */
  note(message: string): void;
  /** A failed command: `thumbgate <command>: message` on stderr, and with `--json` an object on stdout. */
  error(command: string, message: string, exitCode: number): void;
}

export function createOutput(
  json: boolean,
  stdout: Pick<NodeJS.WriteStream, 'write'> = process.stdout,
  stderr: Pick<NodeJS.WriteStream, 'write'> = process.stderr
): Output {
  return {
    json,
    result(value, text) {
      stdout.write(json ? `${jsonForTerminal(value)}\n` : `${forTerminal(text())}\n`);
    },
    note(message) {
      stderr.write(`${forTerminal(message)}\n`);
    },
    error(command, message, exitCode) {
      if (json) stdout.write(`${jsonForTerminal({ error: message, exitCode })}\n`);
      stderr.write(`thumbgate ${forTerminal(command)}: ${forTerminal(message)}\n`);
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
