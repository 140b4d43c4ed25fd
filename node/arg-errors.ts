/** node:util parseArgs rejects unknown flags and missing values with these codes (a usage error). */
export function isArgError(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
