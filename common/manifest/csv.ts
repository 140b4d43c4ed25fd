/**
 * RFC 4180 CSV reader that remembers the line each record starts on (quoted cells may span lines),
 * so manifest problems can point at the right place. Lenient where spreadsheets and hand-editing
 * commonly differ from the RFC (LF or CRLF line ends, spaces around a quoted cell), strict where
 * guessing would silently change a prompt (stray or unbalanced quotes).
 */
import type { ManifestProblem } from './errors.js';

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

const QUOTE_HELP = 'wrap the cell in double quotes and write a quote inside it as two quotes ("")';

export function parseCsv(text: string): CsvParse {
  const records: CsvRecord[] = [];
  const problems: ManifestProblem[] = [];
  let cells: string[] = [];
  let cell = '';
  let state: 'start' | 'unquoted' | 'quoted' | 'closed' = 'start';
  let line = 1;
  let recordLine = 1;
  let quoteLine = 1;
  let broken = false;

  const endCell = (): void => {
    // Spaces around a quoted cell are layout, not content; unquoted cells keep theirs for the caller to trim.
    cells.push(cell);
    cell = '';
    state = 'start';
  };
  const endRecord = (): void => {
    endCell();
    records.push(broken ? { line: recordLine, cells, broken } : { line: recordLine, cells });
    cells = [];
    broken = false;
    recordLine = line;
  };
  const fail = (message: string, at = line): void => {
    const last = problems[problems.length - 1];
    if (!(broken && last?.line === at && last.message === message)) problems.push({ line: at, message });
    broken = true;
  };

  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (state === 'quoted') {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else {
          state = 'closed';
        }
      } else if (c === '\r' || c === '\n') {
        if (c === '\r' && text[i + 1] === '\n') i++;
        cell += '\n';
        line++;
      } else {
        cell += c;
      }
      continue;
    }
    if (c === ',') {
      endCell();
    } else if (c === '\r' || c === '\n') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      line++;
      endRecord();
    } else if (c === '"' && (state === 'start' || (state === 'unquoted' && cell.trim() === ''))) {
      cell = '';
      state = 'quoted';
      quoteLine = line;
    } else if (state === 'closed') {
      if (c !== ' ' && c !== '\t') {
        // A quote that closes lines after it opened usually means an earlier quote was never closed.
        const opened = quoteLine === line ? '' : ` (the quoted cell opened on line ${quoteLine})`;
        fail(`unexpected text after a closing quote${opened} — ${QUOTE_HELP}`);
        state = 'unquoted';
        cell += c;
      }
    } else if (c === '"') {
      fail(`stray double quote inside an unquoted cell — ${QUOTE_HELP}`);
      cell += c;
    } else {
      state = 'unquoted';
      cell += c;
    }
  }
  if (state === 'quoted') fail('quoted cell is never closed — add the closing double quote', quoteLine);
  if (cells.length > 0 || cell !== '' || state !== 'start') endRecord();
  return { records, problems };
}
