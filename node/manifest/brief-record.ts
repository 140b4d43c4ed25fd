/**
 * Turns one raw manifest record (from any format) into a validated ThumbnailBrief, or the list of
 * everything wrong with it. Size checks come from shared/thumbnail-brief.ts and prompt limits from
 * the price card, so the manifest accepts exactly what the draft and re-roll models accept.
 */
import type { BatchOptions } from '../../shared/batch-options.js';
import { PRICE_CARD, ASPECT_RATIOS } from '../../shared/price-card.js';
import {
  describeSizeProblems,
  isAspectRatio,
  MAX_THUMBNAIL_ID_CHARS,
  sizeForAspectRatio,
  THUMBNAIL_ID_RULE,
  thumbnailIdProblem,
  type MetadataValue,
  type Size,
  type ThumbnailBrief,
} from '../../shared/thumbnail-brief.js';
import { refusedCharacterMessage } from './characters.js';
import { shownFieldName, shownValue } from '../../shared/shown-text.js';
import type { ManifestProblem } from './errors.js';
import {
  CSV_META_PREFIX,
  MAX_METADATA_BYTES,
  isBriefField,
  metadataKeyProblem,
  unknownFieldMessage,
} from './fields.js';

export interface RawRecord {
  line: number;
  format: 'json' | 'csv';
  /** Field name → value; for CSV every value is a string and empty cells are already dropped. */
  fields: Record<string, unknown>;
}

export type RecordResult =
  { brief: ThumbnailBrief; problems?: undefined } | { brief?: undefined; problems: ManifestProblem[] };

const SIZE_PATTERN = /^(\d+)\s*[xX×]\s*(\d+)$/;

/** JSON needs real numbers; CSV cells are text, so digits-only text counts as an integer there. */
function readInteger(value: unknown, format: 'json' | 'csv'): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (format === 'csv' && typeof value === 'string' && /^\d+$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

const describe = shownValue;

/**
 * The id rule's message; the rule quotes the id, so an id too long to be one is described by its
 * length instead of quoted (it may be any text at all).
 */
function idProblem(id: string): string | undefined {
  if (id.length > MAX_THUMBNAIL_ID_CHARS) {
    return `id cannot be used as a file name (it has ${id.length}) — use ${THUMBNAIL_ID_RULE}`;
  }
  return refusedCharacterMessage(id, 'id', false) ?? thumbnailIdProblem(id);
}

export function validateRecord(record: RawRecord, options: BatchOptions): RecordResult {
  const { line, format, fields } = record;
  const problems: ManifestProblem[] = [];
  const problem = (field: string, message: string): void => {
    problems.push({ line, field, message });
  };

  for (const name of Object.keys(fields)) {
    if (!isBriefField(name)) problem(name, unknownFieldMessage(name, format));
  }
  // JSON null means "not given" for optional fields, the same as an empty CSV cell.
  const get = (name: string): unknown => (fields[name] === null ? undefined : fields[name]);

  const rawId = get('id');
  const id = typeof rawId === 'string' ? rawId.trim() : rawId;
  if (id === undefined || id === '') {
    problem('id', 'missing id — give each brief a unique id such as 2026-11-24-gaming-001');
  } else if (typeof id !== 'string') {
    const quote = typeof id === 'number' ? ` — quote it, e.g. "${describe(id)}"` : '';
    problem('id', `id must be a string, got ${describe(id)}${quote}`);
  } else {
    const message = idProblem(id);
    if (message) problem('id', message);
  }

  const rawPrompt = get('prompt');
  const prompt = typeof rawPrompt === 'string' ? rawPrompt.trim() : rawPrompt;
  const models = [options.draftModel, options.rerollModel];
  const maxChars = Math.min(...models.map((m) => PRICE_CARD[m].maxPromptChars));
  if (prompt === undefined) {
    problem('prompt', "missing prompt — write the thumbnail's description");
  } else if (typeof prompt !== 'string') {
    problem('prompt', `prompt must be text, got ${describe(prompt)}`);
  } else if (prompt === '') {
    problem('prompt', "empty prompt — write the thumbnail's description");
  } else if (refusedCharacterMessage(prompt, 'prompt', true)) {
    problem('prompt', refusedCharacterMessage(prompt, 'prompt', true) as string);
  } else if (prompt.length > maxChars) {
    problem(
      'prompt',
      `prompt is ${prompt.length} characters; ${models.join(' and ')} accept at most ${maxChars} — shorten it`
    );
  }

  const size = readSize(record, options, problem);

  const metadata = readMetadata(get('metadata'), format, problem);

  if (problems.length > 0 || size === undefined) return { problems };
  const brief: ThumbnailBrief = { id: id as string, prompt: prompt as string, width: size.width, height: size.height };
  // An empty metadata object means the same as none; dropping it keeps the formats' briefs identical.
  if (metadata !== undefined && Object.keys(metadata).length > 0) brief.metadata = metadata;
  return { brief };
}

/** The size a record asks for (or the default), checked against both models; undefined after a problem. */
function readSize(
  record: RawRecord,
  options: BatchOptions,
  problem: (field: string, message: string) => void
): Size | undefined {
  const { format, fields } = record;
  const given = (name: string): boolean => fields[name] !== undefined && fields[name] !== null;
  const ways = [
    given('size') && 'size',
    (given('width') || given('height')) && 'width/height',
    given('aspect_ratio') && 'aspect_ratio',
  ];
  const chosen = ways.filter((w): w is string => typeof w === 'string');
  if (chosen.length > 1) {
    problem('size', `give the size one way — size, width + height, or aspect_ratio — not ${chosen.join(' and ')}`);
    return undefined;
  }
  let size: Size;
  let field = 'size';
  if (given('size')) {
    const raw = fields.size;
    const match = typeof raw === 'string' ? SIZE_PATTERN.exec(raw.trim()) : null;
    if (!match) {
      problem('size', `size must be WIDTHxHEIGHT in pixels such as "1280x720", got ${describe(raw)}`);
      return undefined;
    }
    size = { width: Number(match[1]), height: Number(match[2]) };
  } else if (given('width') || given('height')) {
    field = given('width') ? 'width' : 'height';
    let ok = true;
    for (const side of ['width', 'height'] as const) {
      if (!given(side)) {
        problem(side, `${side} is missing — give width and height together, e.g. 1280 and 720`);
        ok = false;
      } else if (readInteger(fields[side], format) === undefined) {
        problem(side, `${side} must be a whole number of pixels, got ${describe(fields[side])}`);
        ok = false;
      }
    }
    if (!ok) return undefined;
    size = { width: readInteger(fields.width, format) as number, height: readInteger(fields.height, format) as number };
  } else if (given('aspect_ratio')) {
    field = 'aspect_ratio';
    const raw = typeof fields.aspect_ratio === 'string' ? fields.aspect_ratio.trim() : fields.aspect_ratio;
    if (!isAspectRatio(raw)) {
      problem('aspect_ratio', `aspect_ratio must be one of ${ASPECT_RATIOS.join(', ')}, got ${describe(raw)}`);
      return undefined;
    }
    size = sizeForAspectRatio(raw);
  } else {
    // The default was validated with the batch options; checked again only so a bad default cannot slip through.
    size = options.size;
  }
  const message = describeSizeProblems([options.draftModel, options.rerollModel], size);
  if (message) {
    problem(field, message);
    return undefined;
  }
  return { width: size.width, height: size.height };
}

function readMetadata(
  raw: unknown,
  format: 'json' | 'csv',
  problem: (field: string, message: string) => void
): Record<string, MetadataValue> | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problem(
      'metadata',
      `metadata must be an object of simple values, e.g. {"channel": "gaming"}, got ${describe(raw)}`
    );
    return undefined;
  }
  const prefix = format === 'csv' ? CSV_META_PREFIX : 'metadata.';
  const metadata: Record<string, MetadataValue> = {};
  let ok = true;
  for (const [key, value] of Object.entries(raw)) {
    const field = `${prefix}${key}`;
    const keyProblem = metadataKeyProblem(key);
    const valueOk = value === null || ['string', 'number', 'boolean'].includes(typeof value);
    const characters = typeof value === 'string' ? refusedCharacterMessage(value, 'value', true) : undefined;
    if (keyProblem) {
      // CSV reports its metadata keys once, with the header row.
      if (format === 'json') problem(key.trim() === '' ? 'metadata' : field, keyProblem);
    } else if (!valueOk || (typeof value === 'number' && !Number.isFinite(value))) {
      problem(field, `metadata values must be text, numbers, true/false or null, got ${describe(value)}`);
    } else if (characters) {
      problem(field, characters);
    } else {
      // A plain assignment to "__proto__" would change the prototype instead; such keys are refused above.
      Object.defineProperty(metadata, key, { value, enumerable: true, writable: true, configurable: true });
      continue;
    }
    ok = false;
  }
  if (!ok) return metadata;
  const bytes = Buffer.byteLength(JSON.stringify(metadata), 'utf8');
  if (bytes > MAX_METADATA_BYTES) {
    const largest = Object.entries(metadata)
      .map(([key, value]) => ({ key, bytes: Buffer.byteLength(JSON.stringify({ [key]: value }), 'utf8') - 2 }))
      .sort((a, b) => b.bytes - a.bytes)[0];
    problem(
      format === 'csv' && largest ? `${prefix}${largest.key}` : 'metadata',
      `metadata is ${bytes} bytes as JSON; at most ${MAX_METADATA_BYTES} bytes per brief are accepted` +
        // A CSV header key can be any text up to the line limit: named only when it reads as a name.
        (largest
          ? ` (the largest entry is ${shownFieldName(`${prefix}${largest.key}`)}, ${largest.bytes} bytes)`
          : '') +
        ' — keep metadata to routing values such as channel and publish time'
    );
  }
  return metadata;
}
