/**
 * Bytes → text for a manifest: strict UTF-8 only. A Latin-1 or UTF-16 file decoded leniently would
 * turn accented prompts into U+FFFD (or NULs) and still be paid for, so every invalid byte is refused
 * with its byte offset, line and column, and UTF-16/UTF-32 files are told to be saved as UTF-8.
 */
import type { ManifestProblem } from './errors.js';

/** Larger manifests are refused before they are read; split them (a batch holds 20,000 briefs). */
export const MAX_MANIFEST_BYTES = 20 * 1024 * 1024;

export function tooLargeMessage(bytes: number): string {
  const mib = (n: number): string => `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  return (
    `the manifest is ${mib(bytes)} (${bytes} bytes); at most ${MAX_MANIFEST_BYTES / (1024 * 1024)} MiB is accepted — ` +
    'split it into several manifests and start one batch for each'
  );
}

const SAVE_AS_UTF8 =
  'save it as UTF-8 (in Excel: "CSV UTF-8 (Comma delimited)"; in an editor: Save As → Encoding: UTF-8)';

/** Invalid sequences reported; a Latin-1 file has one per accented letter, so only the first lines are listed. */
const MAX_REPORTED = 10;

/** Byte-order marks and NUL patterns of UTF-16/UTF-32 text. */
function wideEncoding(bytes: Uint8Array): string | undefined {
  const [a, b, c, d] = bytes;
  if (a === 0xff && b === 0xfe && c === 0 && d === 0) return 'UTF-32 (little-endian)';
  if (a === 0 && b === 0 && c === 0xfe && d === 0xff) return 'UTF-32 (big-endian)';
  if (a === 0xff && b === 0xfe) return 'UTF-16 (little-endian)';
  if (a === 0xfe && b === 0xff) return 'UTF-16 (big-endian)';
  // Without a mark: ASCII text in UTF-16 has a NUL in every other byte.
  const n = Math.min(bytes.length, 512) & ~1;
  if (n < 4) return undefined;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < n; i++) {
    if (bytes[i] === 0) {
      if (i % 2 === 0) evenNul++;
      else oddNul++;
    }
  }
  const pairs = n / 2;
  if (oddNul >= pairs * 0.6 && evenNul <= pairs * 0.1) return 'UTF-16 (little-endian)';
  if (evenNul >= pairs * 0.6 && oddNul <= pairs * 0.1) return 'UTF-16 (big-endian)';
  return undefined;
}

/** Length of the valid UTF-8 sequence at `i`, or 0 when the bytes there are not one (Unicode's table 3-7). */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i] as number;
  if (b0 < 0x80) return 1;
  const inRange = (k: number, lo = 0x80, hi = 0xbf): boolean => {
    const b = bytes[i + k];
    return b !== undefined && b >= lo && b <= hi;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) return inRange(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const second = b0 === 0xe0 ? inRange(1, 0xa0) : b0 === 0xed ? inRange(1, 0x80, 0x9f) : inRange(1);
    return second && inRange(2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const second = b0 === 0xf0 ? inRange(1, 0x90) : b0 === 0xf4 ? inRange(1, 0x80, 0x8f) : inRange(1);
    return second && inRange(2) && inRange(3) ? 4 : 0;
  }
  return 0;
}

const hex = (b: number): string => `0x${b.toString(16).toUpperCase().padStart(2, '0')}`;

/** One problem per line (its first invalid byte), for the first lines that have any. */
function invalidUtf8Problems(bytes: Uint8Array): ManifestProblem[] {
  const decoder = new TextDecoder('utf-8');
  const problems: ManifestProblem[] = [];
  let line = 1;
  let lineStart = 0;
  let reportedLine = 0;
  let more = 0;
  for (let i = 0; i < bytes.length;) {
    const length = sequenceLength(bytes, i);
    if (length > 0) {
      if (bytes[i] === 0x0a) {
        line++;
        lineStart = i + 1;
      }
      i += length;
      continue;
    }
    if (line !== reportedLine) {
      if (problems.length < MAX_REPORTED) {
        // The line is valid up to here (this is its first invalid byte), so its prefix decodes.
        const column = decoder.decode(bytes.subarray(lineStart, i)).length + 1;
        const shown = hex(bytes[i] as number);
        problems.push({
          line,
          message:
            `byte ${shown} at byte offset ${i} (column ${column}) is not valid UTF-8 — the file is probably ` +
            `Windows-1252/Latin-1 (Excel's plain "CSV"); ${SAVE_AS_UTF8}`,
        });
      } else {
        more++;
      }
      reportedLine = line;
    }
    i += 1;
  }
  if (more > 0) {
    const last = problems[problems.length - 1];
    if (last) last.message += ` (invalid bytes on ${more} more line${more === 1 ? '' : 's'} after this one)`;
  }
  return problems;
}

/** The manifest's text without a UTF-8 byte-order mark, or every reason it is not UTF-8. */
export function decodeManifest(
  bytes: Uint8Array
): { text: string; problems?: undefined } | { problems: ManifestProblem[] } {
  const wide = wideEncoding(bytes);
  if (wide !== undefined) {
    return { problems: [{ line: 1, message: `the file is ${wide} text, not UTF-8 — ${SAVE_AS_UTF8}` }] };
  }
  try {
    // ignoreBOM keeps a leading U+FEFF in the text; parseManifest removes it (and accepts it in strings too).
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes) };
  } catch {
    return { problems: invalidUtf8Problems(bytes) };
  }
}
