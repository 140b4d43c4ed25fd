/**
 * Checks a schedule's cron expression before the schedule is created, so a typo is a clear exit 2
 * naming the field at fault rather than a server error. Accepts the five-field form Temporal Schedules
 * read (minute hour day-of-month month day-of-week, with `*`, lists, ranges, steps and JAN–DEC / SUN–SAT
 * names) and the `@daily`-style shorthands; the time zone is a flag of its own, never a prefix.
 */

interface CronField {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  },
  // 0 and 7 are both Sunday.
  { name: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

const SHORTHANDS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

const FORM =
  "five fields — minute hour day-of-month month day-of-week, e.g. '0 6 * * *' for 06:00 every day — or @daily, @hourly, …";

/** A number or a name of the field, or undefined. */
function value(field: CronField, text: string): number | undefined {
  const named = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return field.min + named;
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= field.min && n <= field.max ? n : undefined;
}

/** Why one comma-separated item of a field is wrong, or undefined. */
function itemProblem(field: CronField, item: string): string | undefined {
  const [range = '', step, extra] = item.split('/');
  if (extra !== undefined || (step !== undefined && !/^[1-9]\d*$/.test(step))) {
    return `${JSON.stringify(item)}: a step is "/" and a positive whole number, e.g. */15`;
  }
  if (range === '*') return undefined;
  const [from = '', to, more] = range.split('-');
  const expected = `${field.min}–${field.max}${field.names ? ` or ${field.names[0]}–${field.names.at(-1)}` : ''}`;
  if (more !== undefined || value(field, from) === undefined || (to !== undefined && value(field, to) === undefined)) {
    return `${JSON.stringify(item)} is not ${expected}`;
  }
  if (to !== undefined && value(field, to)! < value(field, from)!) {
    return `${JSON.stringify(item)} runs backwards`;
  }
  return undefined;
}

/** What is wrong with `expression`, with the fix, or undefined when Temporal will read it as meant. */
export function cronProblem(flag: string, expression: string): string | undefined {
  const text = expression.trim();
  const bad = (why: string): string => `${flag} ${JSON.stringify(expression)} is not valid: ${why} — use ${FORM}`;
  if (/^(CRON_)?TZ=/i.test(text)) return bad('give the time zone with --timezone, not in the expression');
  if (text.startsWith('@')) {
    return SHORTHANDS.includes(text.toLowerCase()) ? undefined : bad(`unknown shorthand ${text}`);
  }
  const parts = text.split(/\s+/).filter((p) => p !== '');
  if (parts.length !== FIELDS.length) return bad(`it has ${parts.length} field${parts.length === 1 ? '' : 's'}`);
  for (const [i, field] of FIELDS.entries()) {
    for (const item of parts[i]!.split(',')) {
      const problem = itemProblem(field, item);
      if (problem) return bad(`${field.name} ${problem}`);
    }
  }
  return undefined;
}
