/** How error messages may show text that came from a user's file or input. */

/**
 * Error texts may quote what a manifest says only as far as a reader needs to find it: a manifest path
 * may name a file that is not a manifest at all (an environment, a key file), and these messages reach
 * workflow history, the UI and completion callbacks. Field names are shown when short and name-like;
 * values only when short and plain; anything else is described by its size. Sandbox-safe: workflow-side
 * checks (thumbnail ids) use it too.
 */
const MAX_SHOWN_FIELD_CHARS = 40;
const MAX_SHOWN_VALUE_CHARS = 24;
// Control and bidi characters are let through: the manifest refuses them with their own message, and
// every print path escapes them (client/terminal-text.ts).
const FIELD_NAME = /^[\p{L}\p{N}\p{M}\p{Cc}\p{Cf} _.:-]+$/u;
const PLAIN_VALUE = /^[\p{L}\p{N}\p{M} _.:×+-]*$/u;

/** A field name as an error may show it: itself when short and name-like, otherwise only its length. */
export function shownFieldName(name: string): string {
  return name.length <= MAX_SHOWN_FIELD_CHARS && FIELD_NAME.test(name)
    ? name
    : `(${name.length} characters, not shown: not a field name)`;
}

/** A value as an error may show it: numbers, true/false/null and short plain text; anything else by kind. */
export function shownValue(value: unknown): string {
  if (typeof value === 'string') {
    return value.length <= MAX_SHOWN_VALUE_CHARS && PLAIN_VALUE.test(value)
      ? JSON.stringify(value)
      : `text of ${value.length} characters`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) {
    const text = String(value);
    return text.length <= MAX_SHOWN_VALUE_CHARS ? text : `a number of ${text.length} digits`;
  }
  if (Array.isArray(value)) return `an array of ${value.length} items`;
  return typeof value === 'object' ? 'an object' : typeof value;
}
