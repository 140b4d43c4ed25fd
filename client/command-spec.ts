/**
 * How a `thumbgate` command declares itself: its positionals and its flags (name, type, value, what it
 * does, default), once. Both the `node:util` parseArgs config and the `--help` text come from that, so
 * the help cannot drift from what the parser accepts.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isArgError } from '../node/arg-errors.js';
import { CliError, EXIT, type ExitCode } from './exit-codes.js';
import type { Output } from './output.js';
import { didYouMean } from './suggest.js';

export interface Flag {
  type: 'string' | 'boolean';
  /** The value's placeholder in usage: FILE, N, USD. */
  arg?: string;
  description: string;
  /** Applied by the parser and shown in the help. */
  default?: string | boolean;
  multiple?: boolean;
  required?: boolean;
}

export type Flags = Record<string, Flag>;

type FlagValue<F extends Flag> = F['type'] extends 'boolean'
  ? F['multiple'] extends true
    ? boolean[]
    : boolean
  : F['multiple'] extends true
    ? string[]
    : string;
type HasValue<F extends Flag> = F extends { default: string | boolean } | { required: true } ? true : false;

/** The parsed flags: defined when the flag has a default or is required (parseCommand checks), otherwise optional. */
export type FlagValues<F extends Flags> = {
  [K in keyof F as HasValue<F[K]> extends true ? K : never]: FlagValue<F[K]>;
} & {
  [K in keyof F as HasValue<F[K]> extends true ? never : K]?: FlagValue<F[K]>;
};

/** Every command prints JSON for scripts with `--json`. */
export const jsonFlag = {
  json: { type: 'boolean', description: 'print JSON on stdout instead of text (errors too, with their exit code)' },
} as const satisfies Flags;

export interface CommandSpec<F extends Flags = Flags> {
  /** As typed after `thumbgate`: `start`, `schedule create`. */
  name: string;
  /** Positionals, each given exactly once: `BATCH_ID`. */
  args?: readonly string[];
  /** One line: what it does. */
  summary: string;
  flags: F;
  /** Printed after the options in `--help`. */
  notes?: string;
  run(parsed: { values: FlagValues<F>; positionals: string[] }, out: Output): Promise<ExitCode>;
}

/** A command of subcommands: `schedule create|list|…`, `models pull`. */
export interface CommandGroup {
  name: string;
  summary: string;
  subcommands: readonly CommandSpec[];
}

/** Declares a command (only for the type inference of `run`'s values). */
export function command<F extends Flags>(spec: CommandSpec<F>): CommandSpec<F> {
  return spec;
}

const WIDTH = 100;

function flagUsage(name: string, flag: Flag): string {
  const value = flag.type === 'string' ? ` ${flag.arg ?? 'VALUE'}` : '';
  const text = `--${name}${value}${flag.multiple ? ' …' : ''}`;
  return flag.required ? text : `[${text}]`;
}

/** `thumbgate start --manifest FILE [--batch-id ID] …`, wrapped; continuation lines indented. */
export function synopsis<F extends Flags>(spec: CommandSpec<F>): string {
  const words = [
    `thumbgate ${spec.name}`,
    ...(spec.args ?? []),
    ...Object.entries(spec.flags).map(([n, f]) => flagUsage(n, f)),
  ];
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = `    ${word}`;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line].join('\n');
}

/** The full `--help` of a command. */
export function helpText<F extends Flags>(spec: CommandSpec<F>): string {
  const rows: [string, string][] = [
    ...Object.entries(spec.flags).map(([name, f]): [string, string] => [
      `--${name}${f.type === 'string' ? ` ${f.arg ?? 'VALUE'}` : ''}`,
      f.description +
        (f.required ? ' (required)' : '') +
        (f.multiple ? ' (repeatable)' : '') +
        (f.default !== undefined && f.type === 'string' ? ` (default ${String(f.default)})` : ''),
    ]),
    ['-h, --help', 'show this help'],
  ];
  const pad = Math.max(...rows.map(([left]) => left.length)) + 2;
  return [
    `usage: ${synopsis(spec)}`,
    '',
    spec.summary,
    '',
    'options:',
    ...rows.map(([left, right]) => `  ${left.padEnd(pad)}${right}`),
    ...(spec.notes ? ['', spec.notes] : []),
  ].join('\n');
}

/** `--help` or `-h` before a `--`. */
export function wantsHelp(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

const usageError = <F extends Flags>(spec: CommandSpec<F>, message: string): CliError =>
  new CliError(EXIT.invalidInput, `${message}\nusage: ${synopsis(spec)}`);

/**
 * Parses `argv` against the command's flags: an unknown option names the nearest one, a missing
 * required flag or positional names itself, both with the usage.
 */
export function parseCommand<F extends Flags>(
  spec: CommandSpec<F>,
  argv: string[]
): { values: FlagValues<F>; positionals: string[] } {
  const options = Object.fromEntries(
    Object.entries(spec.flags).map(([name, f]) => [
      name,
      {
        type: f.type,
        ...(f.multiple ? { multiple: true } : {}),
        ...(f.default !== undefined ? { default: f.default } : {}),
      },
    ])
  ) as NonNullable<ParseArgsConfig['options']>;
  // Lenient first pass: only to find unknown options and answer them with the nearest known one.
  for (const token of parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true }).tokens) {
    if (token.kind !== 'option' || token.name in options) continue;
    const names = Object.keys(options).map((n) => `--${n}`);
    throw usageError(
      spec,
      `unknown option ${token.rawName}${didYouMean(token.rawName, names)} (\`thumbgate ${spec.name} --help\` lists them)`
    );
  }
  const args = spec.args ?? [];
  const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: args.length > 0 });
  for (const [name, f] of Object.entries(spec.flags)) {
    if (f.required && values[name] === undefined) throw usageError(spec, `--${name} ${f.arg ?? 'VALUE'} is required`);
  }
  if (positionals.length !== args.length) {
    throw usageError(
      spec,
      positionals.length < args.length
        ? `${args[positionals.length]} is required`
        : `unexpected ${JSON.stringify(positionals[args.length])}: give exactly ${args.join(' ')}`
    );
  }
  return { values: values as FlagValues<F>, positionals };
}

/**
 * Runs a command: `--help` prints its usage on stdout (exit 0); otherwise the parsed flags go to `run`.
 * A parse error (a flag without its value, …) is a usage error with the usage.
 */
export async function runCommand<F extends Flags>(
  spec: CommandSpec<F>,
  argv: string[],
  out: Output
): Promise<ExitCode> {
  if (wantsHelp(argv)) {
    process.stdout.write(`${helpText(spec)}\n`);
    return EXIT.ok;
  }
  let parsed;
  try {
    parsed = parseCommand(spec, argv);
  } catch (err) {
    if (isArgError(err)) throw usageError(spec, (err as Error).message);
    throw err;
  }
  return spec.run(parsed, out);
}
