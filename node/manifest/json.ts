/**
 * JSON-array and JSON-lines readers that keep the 1-based line each brief starts on. JSON.parse
 * gives values but no positions, so for arrays a small scanner finds where each top-level element
 * begins; it only runs on text JSON.parse has already accepted, so it need not handle bad input.
 */
import { ProblemList, type ManifestProblem } from './errors.js';

export interface JsonRecord {
  line: number;
  value: unknown;
}

export interface JsonParse {
  records: JsonRecord[];
  problems: ManifestProblem[];
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') line++;
  return line;
}

/** Lines of increasing offsets, in one pass (manifests can hold thousands of briefs). */
function linesOf(text: string, offsets: number[]): number[] {
  const lines: number[] = [];
  let line = 1;
  let i = 0;
  for (const offset of offsets) {
    for (; i < offset; i++) if (text[i] === '\n') line++;
    lines.push(line);
  }
  return lines;
}

/** Line of a JSON.parse SyntaxError: V8 reports `at position N` (Node 20) or `(line L column C)` (newer). */
function syntaxErrorLine(text: string, error: unknown): number | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const lineMatch = /line (\d+) column \d+/.exec(message);
  if (lineMatch) return Number(lineMatch[1]);
  const positionMatch = /at position (\d+)/.exec(message);
  if (positionMatch) return lineAt(text, Number(positionMatch[1]));
  return undefined;
}

const ESCAPES: Record<number, string> = { 0x09: '\\t', 0x0a: '\\n', 0x0d: '\\r' };

/**
 * JSON.parse refuses raw control characters in strings with an offset only; name the character and
 * its column instead. `undefined` for any other error.
 */
function controlCharacterMessage(text: string, error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const position = /^Bad control character in string literal.*at position (\d+)/.exec(message);
  if (!position) return undefined;
  const offset = Number(position[1]);
  const code = text.charCodeAt(offset);
  const column = offset - text.lastIndexOf('\n', offset - 1);
  const name = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  const fix = ESCAPES[code]
    ? `write it as ${ESCAPES[code]}`
    : 'control characters are not accepted in briefs; delete it';
  return `not valid JSON: a raw control character ${name} at column ${column} inside a string — ${fix}`;
}

/**
 * JSON.parse's reason without the text it quotes: V8 adds a snippet of the input (`Unexpected token 'S',
 * "SECRET=…" is not valid JSON`), and a manifest path may name a file that is not a manifest. The
 * position is already in the problem's line; the raw offset only confuses.
 */
function syntaxMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const reason = message
    .replace(/,?\s*".*$/s, '')
    .replace(/\s*(in JSON )?at position \d+.*$/s, '')
    .replace(/\s*\(line \d+ column \d+\)$/, '')
    .slice(0, 80);
  return reason === '' ? 'syntax error' : reason;
}

/** Start offsets of the top-level elements of a valid JSON array. */
function elementOffsets(text: string): number[] {
  const offsets: number[] = [];
  let i = text.indexOf('[') + 1;
  let depth = 0;
  let expectingValue = true;
  for (; i < text.length; i++) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    if (depth === 0 && expectingValue && c !== ']') {
      offsets.push(i);
      expectingValue = false;
    }
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '[' || c === '{') {
      depth++;
    } else if (c === ']' || c === '}') {
      if (depth === 0) break;
      depth--;
    } else if (c === ',' && depth === 0) {
      expectingValue = true;
    }
  }
  return offsets;
}

export function parseJsonArray(text: string): JsonParse {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      records: [],
      problems: [
        {
          line: syntaxErrorLine(text, error),
          message: controlCharacterMessage(text, error) ?? `not valid JSON (${syntaxMessage(error)}) — fix the syntax`,
        },
      ],
    };
  }
  if (!Array.isArray(value)) {
    return {
      records: [],
      problems: [
        {
          line: 1,
          message:
            'a .json manifest must be an array of brief objects: [{"id": ..., "prompt": ...}, ...]; ' +
            'for one brief per line use a .jsonl file',
        },
      ],
    };
  }
  const lines = linesOf(text, elementOffsets(text));
  const elements: unknown[] = value;
  return { records: elements.map((element, index) => ({ line: lines[index] ?? 1, value: element })), problems: [] };
}

/**
 * One JSON object per line; blank lines are skipped. Once `problems` is full the remaining lines are
 * only counted, not parsed: a refused JSON.parse costs microseconds, and 20 MiB of `{` lines is ten
 * million of them.
 */
export function parseJsonLines(text: string, problems = new ProblemList()): JsonParse {
  const records: JsonRecord[] = [];
  let line = 0;
  for (let start = 0; start <= text.length; line++) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline;
    const raw = text.slice(start, end > start && text[end - 1] === '\r' ? end - 1 : end);
    start = end + 1;
    if (raw.trim() === '') continue;
    if (problems.full) {
      problems.unchecked++;
      continue;
    }
    try {
      records.push({ line: line + 1, value: JSON.parse(raw) });
    } catch (error) {
      problems.add({
        line: line + 1,
        message:
          controlCharacterMessage(raw, error) ??
          `not valid JSON (${syntaxMessage(error)}) — each line must be one complete brief object`,
      });
    }
  }
  return { records, problems: problems.kept };
}
