/**
 * What the client lets through of the provider's own strings. A request id becomes a ledger key, a
 * workflow-state field, an activity input and a URL path segment, so it is checked, not trimmed;
 * free text (error bodies, echoed statuses, a `server` header) only goes into messages, so it is made
 * printable and cut short. Messages travel into Temporal histories, logs and terminals: no control
 * characters (ANSI escapes, CR/LF log forging, bidi overrides) and no 256 KB error pages.
 */
import { randomUUID } from 'node:crypto';

/** Longest provider id kept; Segmind's are UUIDs (36 characters). */
export const MAX_PROVIDER_ID_CHARS = 128;
const PROVIDER_ID = new RegExp(`^[A-Za-z0-9._:-]{1,${MAX_PROVIDER_ID_CHARS}}$`);

/** Whether a provider-supplied id may be used as one: 1–128 characters of `[A-Za-z0-9._:-]`. */
export function isProviderId(value: unknown): value is string {
  return typeof value === 'string' && PROVIDER_ID.test(value);
}

/**
 * The id a ledger entry is kept under for a v1 call's `x-request-id`: the header when it is a valid
 * id, else a local stand-in (it only labels the entry; failing the call over it would throw away an
 * image already paid for).
 */
export function ledgerRequestId(reported: string | undefined): string {
  return isProviderId(reported) ? reported : `unreported-${randomUUID()}`;
}

/** What an id that failed {@link isProviderId} looks like in a message. */
export function describeBadId(value: unknown): string {
  if (typeof value !== 'string') return `a ${value === null ? 'null' : typeof value}`;
  return `"${boundedText(value, 40)}" (${value.length} characters; ids are 1–${MAX_PROVIDER_ID_CHARS} of A-Z a-z 0-9 . _ : -)`;
}

/** Longest stretch of provider text copied into a message. */
export const MAX_PROVIDER_TEXT_CHARS = 200;

// Control and format characters (C0, C1, zero-width and bidi controls) and line/paragraph separators.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/**
 * `text` made safe to print: whitespace runs become one space, other control and format characters
 * are shown escaped (`\u001b`), and the result is cut to `max` characters (saying so).
 */
export function boundedText(text: string, max = MAX_PROVIDER_TEXT_CHARS): string {
  // Escaping lengthens the text: look at no more than could survive the cut.
  const printable = text
    .slice(0, max * 2)
    .replace(/\s+/g, ' ')
    .replace(UNPRINTABLE, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`)
    .trim();
  if (printable.length <= max && text.length <= max * 2) return printable;
  // Not through a surrogate pair.
  let cut = max - 1;
  if (/[\uD800-\uDBFF]/.test(printable[cut - 1] ?? '')) cut -= 1;
  return `${printable.slice(0, cut)}…`;
}

/** How much of a non-JSON page is searched for text: tag stripping is quadratic on `<<<<…`. */
const PAGE_PREFIX_CHARS = 8 * 1024;

/**
 * The readable part of an error body: the `error_description` or `error` of a JSON answer, else the
 * text of an HTML or plain page, bounded by {@link boundedText}.
 */
export function providerText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; error_description?: unknown };
    const msg = parsed.error_description ?? parsed.error;
    if (typeof msg === 'string') return boundedText(msg);
  } catch {
    // not JSON (405 pages, plain-text 406s)
  }
  return boundedText(body.slice(0, PAGE_PREFIX_CHARS).replace(/<[^>]*>/g, ' '));
}

/**
 * `text` with the API key replaced, also the start of it left by an excerpt that {@link boundedText}
 * cut short (`abcd…`): a provider may echo the key back in an error page.
 */
export function redactKey(text: string, key: string): string {
  let out = text.split(key).join('[redacted]');
  for (let n = key.length - 1; n >= 4 && out.includes('…'); n--)
    out = out.split(`${key.slice(0, n)}…`).join('[redacted]…');
  return out;
}
