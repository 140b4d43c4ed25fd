/**
 * parseManifest: text of a JSON array, JSON-lines or CSV manifest → validated briefs. All-or-nothing:
 * any problem anywhere throws one ManifestError listing every problem, so a batch never starts with
 * part of a day's briefs silently missing.
 */
import type { BatchOptions } from '../../shared/batch-options.js';
import { idCollisionKey, isSafeId, type ThumbnailBrief } from '../../shared/thumbnail-brief.js';
import { validateRecord, type RawRecord } from './brief-record.js';
import { parseCsv } from './csv.js';
import { shownValue } from '../../shared/shown-text.js';
import { ManifestError, ProblemList } from './errors.js';
import { CSV_META_PREFIX, isBriefField, metadataKeyProblem, unknownFieldMessage } from './fields.js';
import { parseJsonArray, parseJsonLines } from './json.js';

export type ManifestFormat = 'json' | 'jsonl' | 'csv';

export interface ParseManifestOptions {
  /** Used in messages and to detect the format by extension. */
  fileName: string;
  options: BatchOptions;
  /** Overrides detection. */
  format?: ManifestFormat;
}

/** By extension; otherwise by the first character: `[` is a JSON array, `{` JSON lines, anything else CSV. */
export function detectFormat(fileName: string, text: string): ManifestFormat {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (lower.endsWith('.csv')) return 'csv';
  const first = text.replace(/^\uFEFF/, '').trimStart()[0];
  if (first === '[') return 'json';
  if (first === '{') return 'jsonl';
  return 'csv';
}

interface Collected {
  records: RawRecord[];
  problems: ProblemList;
}

function fromJson(text: string, format: 'json' | 'jsonl'): Collected {
  const problems = new ProblemList();
  const parsed = format === 'json' ? parseJsonArray(text) : parseJsonLines(text, problems);
  if (format === 'json') problems.add(...parsed.problems);
  const records: RawRecord[] = [];
  for (const { line, value } of parsed.records) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      const got = shownValue(value);
      problems.add({ line, message: `each brief must be an object like {"id": ..., "prompt": ...}, got ${got}` });
    } else {
      records.push({ line, format: 'json', fields: value as Record<string, unknown> });
    }
  }
  return { records, problems };
}

type Column = { kind: 'field'; name: string } | { kind: 'meta'; key: string } | { kind: 'ignored' };

function fromCsv(text: string): Collected {
  const problems = new ProblemList();
  const parsed = parseCsv(text, problems);
  // Rows of only empty cells are spreadsheet padding, not briefs.
  const rows = parsed.records.filter((r) => r.cells.some((c) => c.trim() !== ''));
  const header = rows.shift();
  if (!header || header.broken) return { records: [], problems };

  // Which columns any row uses, in one pass over the cells: asking per unnamed column would scan every
  // row once per column (thousands of empty header cells × thousands of rows took seconds per 100 KiB).
  const used = new Set<number>();
  for (const row of rows) row.cells.forEach((c, index) => c.trim() !== '' && used.add(index));

  const columns: Column[] = [];
  const beforeHeader = problems.size;
  const seen = new Map<string, number>();
  header.cells.forEach((cell, index) => {
    const raw = cell.trim();
    const lower = raw.toLowerCase();
    const isMeta = lower.startsWith(CSV_META_PREFIX);
    // Known names are matched case-insensitively (spreadsheets capitalise headers); metadata keys keep their case.
    const column: Column = isMeta
      ? { kind: 'meta', key: raw.slice(CSV_META_PREFIX.length).trim() }
      : isBriefField(lower) && lower !== 'metadata'
        ? { kind: 'field', name: lower }
        : { kind: 'ignored' };
    const label = column.kind === 'meta' ? `${CSV_META_PREFIX}${column.key}` : lower;
    if (raw === '') {
      if (used.has(index)) {
        problems.add({
          line: header.line,
          message: `column ${index + 1} has no name in the header row — name it or delete it`,
        });
      }
    } else if (column.kind === 'meta' && column.key === '') {
      problems.add({
        line: header.line,
        field: raw,
        message: 'metadata columns need a key after "meta.", e.g. meta.channel',
      });
    } else if (column.kind === 'meta' && metadataKeyProblem(column.key)) {
      problems.add({ line: header.line, field: raw, message: metadataKeyProblem(column.key) as string });
    } else if (column.kind === 'ignored') {
      problems.add({ line: header.line, field: raw, message: unknownFieldMessage(raw, 'csv') });
    } else if (seen.has(label)) {
      problems.add({
        line: header.line,
        field: raw,
        message: `column appears twice (columns ${(seen.get(label) ?? 0) + 1} and ${index + 1})`,
      });
    }
    seen.set(label, index);
    columns.push(raw === '' ? { kind: 'ignored' } : column);
  });
  // Rows are read through the header: with a misnamed column every row would repeat the same derived
  // problem (e.g. 300 × "missing prompt" for a "promt" column), so stop at the header's own problems.
  if (problems.size > beforeHeader) return { records: [], problems };

  const records: RawRecord[] = [];
  for (const row of rows) {
    // Its quoting problem is already reported; its other fields are unreliable.
    if (row.broken) continue;
    const extra = row.cells.slice(columns.length).some((c) => c.trim() !== '');
    if (extra || row.cells.length < columns.length) {
      problems.add({
        line: row.line,
        message:
          `row has ${row.cells.length} cells but the header names ${columns.length} columns — ` +
          'quote cells that contain commas ("like, this")',
      });
      continue;
    }
    const fields: Record<string, unknown> = {};
    const metadata: Record<string, string> = {};
    columns.forEach((column, index) => {
      const cell = row.cells[index] ?? '';
      // An empty cell means "not given", so one CSV can mix rows that set a size with rows that use the default;
      // empty required cells are kept so the problem reads "empty prompt", not "missing prompt".
      if (cell.trim() === '' && !(column.kind === 'field' && (column.name === 'id' || column.name === 'prompt')))
        return;
      if (column.kind === 'field') fields[column.name] = column.name === 'prompt' ? cell : cell.trim();
      // CSV has no types: metadata stays text, so "007" is not turned into 7.
      else if (column.kind === 'meta') metadata[column.key] = cell;
    });
    if (Object.keys(metadata).length > 0) fields.metadata = metadata;
    records.push({ line: row.line, format: 'csv', fields });
  }
  return { records, problems };
}

export function parseManifest(text: string, { fileName, options, format }: ParseManifestOptions): ThumbnailBrief[] {
  // Spreadsheet exports often start with a byte-order mark.
  const body = text.replace(/^\uFEFF/, '');
  const kind = format ?? detectFormat(fileName, body);
  const { records, problems } = kind === 'csv' ? fromCsv(body) : fromJson(body, kind);

  const briefs: ThumbnailBrief[] = [];
  // Keyed ignoring case: "A1" and "a1" would write the same file on macOS and Windows.
  const firstSeen = new Map<string, { id: string; line: number }>();
  for (const record of records) {
    const result = validateRecord(record, options);
    if (result.problems) problems.add(...result.problems);
    const id = typeof record.fields.id === 'string' ? record.fields.id.trim() : undefined;
    // Only ids that are usable names are compared (and so quoted): any other id already has its problem.
    if (isSafeId(id)) {
      const earlier = firstSeen.get(idCollisionKey(id));
      if (earlier === undefined) {
        firstSeen.set(idCollisionKey(id), { id, line: record.line });
      } else if (earlier.id === id) {
        problems.add({
          line: record.line,
          field: 'id',
          message: `duplicate id "${id}" (also on line ${earlier.line}) — ids name output files, so each must be unique`,
        });
      } else {
        problems.add({
          line: record.line,
          field: 'id',
          message:
            `id "${id}" differs from "${earlier.id}" (line ${earlier.line}) only in upper/lower case — ids name ` +
            'output files and macOS and Windows file systems ignore case, so ids must differ by more than case',
        });
      }
    }
    if (result.brief) briefs.push(result.brief);
  }
  if (problems.size === 0 && briefs.length === 0) {
    problems.add({
      message:
        kind === 'csv'
          ? 'the manifest has no briefs — add a header row (id,prompt,...) and one row per thumbnail'
          : 'the manifest has no briefs — add at least one {"id": ..., "prompt": ...}',
    });
  }
  if (problems.size > 0) throw new ManifestError(fileName, problems);
  return briefs;
}
