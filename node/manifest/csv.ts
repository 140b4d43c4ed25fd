/**
 * RFC 4180 CSV reader that remembers the line each record starts on (quoted cells may span lines),
 * so manifest problems can point at the right place. Lenient where spreadsheets and hand-editing
 * commonly differ from the RFC (LF or CRLF line ends, spaces around a quoted cell), strict where
 * guessing would silently change a prompt (stray or unbalanced quotes).
 */
import { ProblemList, type ManifestProblem } from './errors.js';

export interface CsvRecord {
  /** 1-based line the record starts on. */
  line: number;
  cells: string[];
  /** A quoting problem was reported for this record; its cells may be split wrongly. */
  broken?: true;
}

export interface CsvParse {
  records: CsvRecord[];
  problems: ManifestProblem[];
}

/**
 * Most cells a row may have: six brief fields and `meta.<key>` columns, whose metadata holds at most
 * 2 KB per brief. A file past it is not a manifest (or a sheet with a run of empty columns).
 */
export const MAX_CSV_COLUMNS = 512;
/** Longest physical line: a prompt is at most 2,000 characters and metadata 2 KB; this is far past both. */
export const MAX_CSV_LINE_CHARS = 64 * 1024;

const UNQUOTED_SPECIAL = /[",\r\n]/g;
const QUOTED_SPECIAL = /["\r\n]/g;

const QUOTE_HELP = 'wrap the cell in double quotes and write a quote inside it as two quotes ("")';

/**
 * One pass over the text, every character looked at once and every cell built once, so time grows with
 * the file's size; a row past {@link MAX_CSV_COLUMNS} cells or a line past {@link MAX_CSV_LINE_CHARS}
 * stops the reading with that one problem (the file is refused either way).
 */
export function parseCsv(text: string, problems = new ProblemList()): CsvParse {
  const records: CsvRecord[] = [];
  /** The last quoting problem: a broken record reports each once, even once `problems` only counts. */
  let last: ManifestProblem | undefined;
  let cells: string[] = [];
  let cell = '';
  /** The cell so far is only whitespace: a quote there still opens a quoted cell. */
  let blank = true;
  let state: 'start' | 'unquoted' | 'quoted' | 'closed' = 'start';
  let line = 1;
  let lineStart = 0;
  let recordLine = 1;
  let quoteLine = 1;
  let broken = false;
  let over: ManifestProblem | undefined;

  const endCell = (): void => {
    // Spaces around a quoted cell are layout, not content; unquoted cells keep theirs for the caller to trim.
    cells.push(cell);
    cell = '';
    blank = true;
    state = 'start';
    if (cells.length > MAX_CSV_COLUMNS) {
      over = {
        line: recordLine,
        message:
          `the row has more than ${MAX_CSV_COLUMNS} cells; a manifest has at most ${MAX_CSV_COLUMNS} columns ` +
          '(id, prompt, size, width, height, aspect_ratio and meta.<key> columns) — delete the empty or extra ' +
          'columns, or check that this is the manifest you meant',
      };
    }
  };
  const append = (c: string): void => {
    cell += c;
    blank &&= c.trim() === '';
  };
  const newLine = (at: number): void => {
    line++;
    lineStart = at + 1;
  };
  const endRecord = (): void => {
    endCell();
    records.push(broken ? { line: recordLine, cells, broken } : { line: recordLine, cells });
    cells = [];
    broken = false;
    recordLine = line;
  };
  const fail = (message: string, at = line): void => {
    if (!(broken && last?.line === at && last.message === message)) {
      last = { line: at, message };
      problems.add(last);
    }
    broken = true;
  };

  for (let i = 0; i < text.length && over === undefined; i++) {
    const c = text[i] as string;
    if (i - lineStart >= MAX_CSV_LINE_CHARS) {
      over = {
        line,
        message:
          `the line is longer than ${MAX_CSV_LINE_CHARS} characters; a brief's prompt is at most a few thousand ` +
          'and its metadata 2 KB — check that this is the manifest you meant, or split the text over several rows',
      };
      break;
    }
    // A run of ordinary characters is taken at once (a comma is ordinary inside quotes); after a
    // closing quote each character is judged on its own.
    const ordinary = c !== '"' && c !== '\r' && c !== '\n' && (state === 'quoted' || (c !== ',' && state !== 'closed'));
    if (ordinary) {
      const special = state === 'quoted' ? QUOTED_SPECIAL : UNQUOTED_SPECIAL;
      special.lastIndex = i;
      const end = Math.min(special.exec(text)?.index ?? text.length, lineStart + MAX_CSV_LINE_CHARS);
      if (state !== 'quoted') state = 'unquoted';
      append(text.slice(i, end));
      i = end - 1;
      continue;
    }
    if (state === 'quoted') {
      if (c === '"') {
        if (text[i + 1] === '"') {
          append('"');
          i++;
        } else {
          state = 'closed';
        }
      } else {
        // A line break inside quotes is part of the cell.
        if (c === '\r' && text[i + 1] === '\n') i++;
        append('\n');
        newLine(i);
      }
      continue;
    }
    if (c === ',') {
      endCell();
    } else if (c === '\r' || c === '\n') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      newLine(i);
      endRecord();
    } else if (c === '"' && (state === 'start' || (state === 'unquoted' && blank))) {
      cell = '';
      state = 'quoted';
      quoteLine = line;
    } else if (state === 'closed') {
      if (c !== ' ' && c !== '\t') {
        // A quote that closes lines after it opened usually means an earlier quote was never closed.
        const opened = quoteLine === line ? '' : ` (the quoted cell opened on line ${quoteLine})`;
        fail(`unexpected text after a closing quote${opened} — ${QUOTE_HELP}`);
        state = 'unquoted';
        append(c);
      }
    } else {
      fail(`stray double quote inside an unquoted cell — ${QUOTE_HELP}`);
      append(c);
    }
  }
  if (over === undefined) {
    if (state === 'quoted') fail('quoted cell is never closed — add the closing double quote', quoteLine);
    if (cells.length > 0 || cell !== '' || state !== 'start') endRecord();
  }
  // Nothing read is trusted past a limit: the file is refused with that problem.
  if (over === undefined) return { records, problems: problems.kept };
  problems.add(over);
  return { records: [], problems: problems.kept };
}
