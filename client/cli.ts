/**
 * `thumbgate`: start and follow thumbnail batches. Every command takes `--json`; exit codes are
 * in exit-codes.ts and the README.
 */
import { NamespaceNotFoundError, ServiceError, isGrpcServiceError } from '@temporalio/client';
import { budget, budgetUsage } from './commands/budget.js';
import { cancel, cancelUsage } from './commands/cancel.js';
import { codecServer, codecServerUsage } from './commands/codec-server.js';
import { cost, costUsage } from './commands/cost.js';
import { estimate, estimateUsage } from './commands/estimate.js';
import { list, listUsage } from './commands/list.js';
import { models, modelsUsage } from './commands/models.js';
import { result, resultUsage } from './commands/result.js';
import { schedule, scheduleUsage } from './commands/schedule.js';
import { start, startUsage } from './commands/start.js';
import { status, statusUsage } from './commands/status.js';
import { temporalConnectConfig } from '../node/temporal-connection.js';
import { isArgError } from '../node/arg-errors.js';
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
  budget: { run: budget, usage: budgetUsage },
  estimate: { run: estimate, usage: estimateUsage },
  models: { run: models, usage: modelsUsage },
  schedule: { run: schedule, usage: scheduleUsage },
  'codec-server': { run: codecServer, usage: codecServerUsage },
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
  } catch (caught) {
    const err = temporalServiceError(caught) ?? caught;
    const code = err instanceof CliError ? err.exitCode : isArgError(err) ? EXIT.invalidInput : EXIT.batchFailed;
    const message = err instanceof Error ? err.message : String(err);
    out.error(name, message, code);
    if (code === EXIT.invalidInput && isArgError(err) && command) process.stderr.write(`usage: ${command.usage}\n`);
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
