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

// Characters a terminal draws in two columns (CJK, Hangul, full-width forms, emoji) and ones it draws in
// none (combining marks such as Devanagari vowel signs and variation selectors, skin-tone modifiers,
// zero-width joiners).
const WIDE =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303f\uff01-\uff60\uffe0-\uffe6]|\p{Extended_Pictographic}/u;
const ZERO_WIDTH = /\p{M}|\p{Emoji_Modifier}|\u200b|\u200c|\u200d|\u2060/gu;

/** The columns `text` takes on a terminal (approximately: fonts differ on a few symbols). */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text.replace(ZERO_WIDTH, '')) width += WIDE.test(ch) ? 2 : 1;
  return width;
}

/**
 * Left-aligned text columns, numbers right-aligned. Cells are sanitised for the terminal first and
 * measured as the terminal draws them, so a cell of Hindi or Japanese text (or one whose control
 * characters are shown as \xNN) does not push the columns after it out of line.
 */
export function table(rows: string[][]): string {
  const cells = rows.map((r) => r.map(forTerminal));
  const widths = cells[0]!.map((_, col) => Math.max(...cells.map((r) => displayWidth(r[col] ?? ''))));
  const numeric = (s: string): boolean => /^[-$]?[\d.,]+%?$/.test(s);
  return cells
    .map((r) =>
      r
        .map((cell, col) => {
          const pad = ' '.repeat(widths[col]! - displayWidth(cell));
          return numeric(cell) ? pad + cell : cell + pad;
        })
        .join('  ')
        .trimEnd()
    )
    .join('\n');
}
