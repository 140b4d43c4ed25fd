/**
 * `thumbgate`: start and follow thumbnail batches. Every command takes `--json` and `--help`; exit codes
 * are in exit-codes.ts and the README.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NamespaceNotFoundError, ServiceError, isGrpcServiceError } from '@temporalio/client';
import { projectRoot } from '../node/paths.js';
import { temporalConnectConfig } from '../node/temporal-connection.js';
import { runCommand, wantsHelp, type CommandGroup, type CommandSpec } from './command-spec.js';
import { budgetCommand } from './commands/budget.js';
import { cancelCommand } from './commands/cancel.js';
import { codecServerCommand } from './commands/codec-server.js';
import { costCommand } from './commands/cost.js';
import { estimateCommand } from './commands/estimate.js';
import { listCommand } from './commands/list.js';
import { modelsCommands } from './commands/models.js';
import { resultCommand } from './commands/result.js';
import { scheduleCommands } from './commands/schedule.js';
import { startCommand } from './commands/start.js';
import { statusCommand } from './commands/status.js';
import { CliError, EXIT, type ExitCode } from './exit-codes.js';
import { createOutput } from './output.js';
import { didYouMean } from './suggest.js';

const COMMANDS: readonly (CommandSpec | CommandGroup)[] = [
  startCommand,
  statusCommand,
  resultCommand,
  costCommand,
  listCommand,
  cancelCommand,
  budgetCommand,
  estimateCommand,
  modelsCommands,
  scheduleCommands,
  codecServerCommand,
];

const isGroup = (c: CommandSpec | CommandGroup): c is CommandGroup => 'subcommands' in c;

/** `  status BATCH_ID        State and live progress…`: one line a command, its summary's first sentence. */
function commandList(specs: readonly CommandSpec[]): string {
  const left = specs.map((s) => [s.name, ...(s.args ?? [])].join(' '));
  const pad = Math.max(...left.map((l) => l.length)) + 2;
  return specs.map((s, i) => `  ${left[i]!.padEnd(pad)}${/^[^.;]*/.exec(s.summary)![0]}`).join('\n');
}

const USAGE = [
  'usage: thumbgate COMMAND [ARGS] [options]',
  '',
  'commands:',
  commandList(COMMANDS.flatMap((c) => (isGroup(c) ? c.subcommands : [c]))),
  '',
  '`thumbgate COMMAND --help` shows its options; every command takes --json. `thumbgate --version` prints the version.',
].join('\n');

function groupUsage(group: CommandGroup): string {
  return [`usage: thumbgate ${group.name} SUBCOMMAND …`, '', group.summary, '', commandList(group.subcommands)].join(
    '\n'
  );
}

function unknown(what: string, typed: string, known: string[], help: string): CliError {
  return new CliError(
    EXIT.invalidInput,
    `unknown ${what} ${JSON.stringify(typed)}${didYouMean(typed, known)} (\`${help} --help\` lists them)`
  );
}

/** The command `argv` names, through its group; the group's usage when it names none. */
function resolve(name: string, rest: string[]): { spec: CommandSpec; argv: string[] } | { usage: string } {
  const entry = COMMANDS.find((c) => c.name === name);
  const names = COMMANDS.map((c) => c.name);
  if (!entry) throw unknown('command', name, names, 'thumbgate');
  if (!isGroup(entry)) return { spec: entry, argv: rest };
  const [sub, ...argv] = rest;
  if (sub === undefined) throw new CliError(EXIT.invalidInput, `a subcommand is required\n${groupUsage(entry)}`);
  if (wantsHelp([sub])) return { usage: groupUsage(entry) };
  const spec = entry.subcommands.find((s) => s.name === `${name} ${sub}`);
  if (!spec) {
    const subs = entry.subcommands.map((s) => s.name.slice(name.length + 1));
    throw unknown('subcommand', sub, subs, `thumbgate ${name}`);
  }
  return { spec, argv };
}

function version(): string {
  return (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

export async function main(argv: string[]): Promise<ExitCode> {
  const [name, ...rest] = argv;
  const out = createOutput(rest.includes('--json'));
  if (name === '--version' || name === '-V') {
    console.log(version());
    return EXIT.ok;
  }
  if (!name || name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    console.log(USAGE);
    return name ? EXIT.ok : EXIT.invalidInput;
  }
  // `thumbgate help schedule create` is `thumbgate schedule create --help`.
  const [command, args] = name === 'help' ? [rest[0]!, [...rest.slice(1), '--help']] : [name, rest];
  try {
    const found = resolve(command, args);
    if ('usage' in found) {
      console.log(found.usage);
      return EXIT.ok;
    }
    return await runCommand(found.spec, found.argv, out);
  } catch (caught) {
    const err = temporalServiceError(caught) ?? caught;
    const code = err instanceof CliError ? err.exitCode : EXIT.batchFailed;
    out.error(command, err instanceof Error ? err.message : String(err), code);
    return code;
  }
}
function temporalTarget(): { address: string; namespace: string } {
  try {
    const { connectionOptions, namespace } = temporalConnectConfig();
    return { address: connectionOptions.address ?? 'localhost:7233', namespace };
  } catch {
    return {
      address: process.env.TEMPORAL_ADDRESS ?? 'localhost:7233',
      namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    };
  }
}

/**
 * A failed call to the Temporal service after connecting (server gone, namespace unknown, permission
 * denied, …): the SDK's ServiceError wrapping a gRPC error, a bare gRPC error, or an unknown namespace.
 * Exit code 3, not 1: the batch did not fail.
 */
function temporalServiceError(err: unknown): CliError | undefined {
  if (err instanceof NamespaceNotFoundError) {
    return new CliError(
      EXIT.temporalUnreachable,
      `Temporal at ${temporalTarget().address} has no namespace ${JSON.stringify(err.namespace)}; ` +
        'check TEMPORAL_NAMESPACE / TEMPORAL_ADDRESS'
    );
  }
  if (!(err instanceof ServiceError) && !isGrpcServiceError(err)) return undefined;
  const grpc = isGrpcServiceError(err) ? err : isGrpcServiceError(err.cause) ? err.cause : undefined;
  const detail = grpc ? `${grpc.details || grpc.message}` : (err as Error).message;
  const { address, namespace } = temporalTarget();
  return new CliError(
    EXIT.temporalUnreachable,
    `Temporal at ${address} (namespace ${namespace}) could not be reached or refused the request: ${detail}; ` +
      'check TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TEMPORAL_API_KEY'
  );
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(EXIT.batchFailed);
  }
);
