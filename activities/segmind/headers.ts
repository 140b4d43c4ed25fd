/** Reading the provider's response headers (as undici gives them: lower-case names, repeats as arrays). */

export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** A header's value; the first one when it was sent more than once. */
export function header(headers: ResponseHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** A header's value as a finite number; undefined when it is missing, blank or not a number. */
export function numberHeader(headers: ResponseHeaders, name: string): number | undefined {
  const raw = header(headers, name);
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  return Number.isFinite(n) ? n : undefined;
}
