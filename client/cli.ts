/**
 * `thumbgate`: start and follow thumbnail batches. Every command takes `--json`; exit codes are
 * in exit-codes.ts and the README.
 */
import { cancel, cancelUsage } from './commands/cancel.js';
import { cost, costUsage } from './commands/cost.js';
import { estimate, estimateUsage } from './commands/estimate.js';
import { list, listUsage } from './commands/list.js';
import { models, modelsUsage } from './commands/models.js';
import { result, resultUsage } from './commands/result.js';
import { start, startUsage } from './commands/start.js';
import { status, statusUsage } from './commands/status.js';
import { CliError, EXIT, type ExitCode } from './exit-codes.js';
import { createOutput, type Output } from './output.js';

type Command = (argv: string[], out: Output) => Promise<ExitCode>;

const COMMANDS: Record<string, { run: Command; usage: string }> = {
  start: { run: start, usage: startUsage },
  status: { run: status, usage: statusUsage },
  result: { run: result, usage: resultUsage },
  cost: { run: cost, usage: costUsage },
  list: { run: list, usage: listUsage },
  cancel: { run: cancel, usage: cancelUsage },
  estimate: { run: estimate, usage: estimateUsage },
  models: { run: models, usage: modelsUsage },
};

export const USAGE = ['usage:', ...Object.values(COMMANDS).map((c) => `  ${c.usage.split('\n').join('\n  ')}`)].join(
  '\n'
);

export async function main(argv: string[]): Promise<ExitCode> {
  const [name, ...rest] = argv;
  const json = rest.includes('--json');
  const out = createOutput(json);
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return name ? EXIT.ok : EXIT.invalidInput;
  }
  const command = COMMANDS[name];
  try {
    if (!command) throw new CliError(EXIT.invalidInput, `unknown command ${JSON.stringify(name)}\n${USAGE}`);
    return await command.run(rest, out);
  } catch (err) {
    const code = err instanceof CliError ? err.exitCode : isArgError(err) ? EXIT.invalidInput : EXIT.batchFailed;
    const message = err instanceof Error ? err.message : String(err);
    if (json) process.stdout.write(`${JSON.stringify({ error: message, exitCode: code }, null, 2)}\n`);
    process.stderr.write(`thumbgate ${name}: ${message}\n`);
    if (code === EXIT.invalidInput && isArgError(err) && command) process.stderr.write(`usage: ${command.usage}\n`);
    return code;
  }
}

/** node:util parseArgs rejects unknown flags and missing values with these codes. */
function isArgError(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(EXIT.batchFailed);
  }
);
