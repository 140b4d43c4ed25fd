/**
 * Flags that set how a batch runs rather than what it makes — its spending limits and its completion
 * callback — shared by `thumbgate start` and `thumbgate schedule create`. They are not part of the
 * batch's identity: the same manifest and options under a new limit is the same batch.
 */
import { readFile } from 'node:fs/promises';
import { MAX_BUDGET_GROUPS, budgetProblems, groupMap, type BatchBudget } from '../shared/budget.js';
import { notifyUrlProblem } from '../shared/notification.js';
import { usdToMicros } from '../shared/money.js';
import { invalidParameter } from '../shared/validation.js';
import type { Flags } from './command-spec.js';
import { CliError, EXIT } from './exit-codes.js';

export const runFlags = {
  'max-usd': { type: 'string', arg: 'USD', description: 'spending limit of the batch in US dollars' },
  'budget-key': {
    type: 'string',
    arg: 'KEY',
    description: 'manifest metadata field whose values get their own limits (with --budget-file)',
  },
  'budget-file': {
    type: 'string',
    arg: 'FILE.json',
    description: 'dollars per value of --budget-key, e.g. {"channel-a": 20, "*": 5}',
  },
  'notify-url': { type: 'string', arg: 'URL', description: 'POST a signed summary here when the batch ends' },
} as const satisfies Flags;

type Values = Partial<Record<keyof typeof runFlags, string>>;

export interface RunSettings {
  budget?: BatchBudget;
  notifyUrl?: string;
}

const invalid = (message: string): CliError => new CliError(EXIT.invalidInput, message);

/** A dollar amount from a flag or file: positive, finite, at most $1,000,000. */
export function usdAmount(what: string, raw: unknown): number {
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0 || n > 1_000_000) {
    throw invalid(invalidParameter(what, 'an amount of US dollars above 0 and at most 1000000, e.g. 40 or 12.5', raw));
  }
  return n;
}

/** `{"Cook & Co": 20, "*": 5}`: dollars per value of the budget key. */
async function budgetFile(path: string): Promise<Record<string, number>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw invalid(
      `--budget-file ${path}: ${(err as Error).message} (expected a JSON object such as {"channel-a": 20, "*": 5})`
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalid(
      `--budget-file ${path}: expected a JSON object of dollars per value, such as {"channel-a": 20, "*": 5}`
    );
  }
  const entries = Object.entries(parsed);
  if (entries.length === 0 || entries.length > MAX_BUDGET_GROUPS) {
    throw invalid(`--budget-file ${path}: list 1–${MAX_BUDGET_GROUPS} values`);
  }
  return groupMap(
    entries.map(([group, usd]): [string, number] => [
      group,
      usdToMicros(usdAmount(`--budget-file ${path} "${group}"`, usd)),
    ])
  );
}

/** The run settings from flags, validated; problems name the flag and the fix. */
export async function runSettingsFromFlags(values: Values): Promise<RunSettings> {
  if ((values['budget-key'] === undefined) !== (values['budget-file'] === undefined)) {
    throw invalid('--budget-key and --budget-file go together: the key names the metadata field, the file its limits');
  }
  const budget: BatchBudget = {
    ...(values['max-usd'] !== undefined ? { maxMicros: usdToMicros(usdAmount('--max-usd', values['max-usd'])) } : {}),
    ...(values['budget-key'] !== undefined
      ? { key: values['budget-key'], perKey: await budgetFile(values['budget-file']!) }
      : {}),
  };
  const problems = budgetProblems(budget);
  if (problems.length > 0) throw invalid(problems.join('; '));
  const urlProblem =
    values['notify-url'] === undefined ? undefined : notifyUrlProblem('--notify-url', values['notify-url']);
  if (urlProblem) throw invalid(urlProblem);
  return {
    ...(Object.keys(budget).length > 0 ? { budget } : {}),
    ...(values['notify-url'] !== undefined ? { notifyUrl: values['notify-url'] } : {}),
  };
}
