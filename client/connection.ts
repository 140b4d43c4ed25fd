import { Client, Connection } from '@temporalio/client';
import { temporalConnectConfig } from '../node/temporal-connection.js';
import { PayloadKeyError, payloadDataConverter, type WithoutKeys } from '../node/payload-codec.js';
import { CliError, EXIT } from './exit-codes.js';

export interface Connected {
  client: Client;
  namespace: string;
  address: string;
  close(): Promise<void>;
}

/**
 * Connects with the standard TEMPORAL_* settings and the payload codec of THUMBGATE_PAYLOAD_KEYS (the
 * workers' keys: what the CLI sends must be readable by them, and what they record by it). An unreachable
 * server is exit code 3, a bad key setting exit code 2.
 */
async function connectTemporal(withoutKeys: WithoutKeys): Promise<Connected> {
  const { connectionOptions, namespace } = temporalConnectConfig();
  const dataConverter = withPayloadKeys(() => payloadDataConverter(process.env, withoutKeys));
  const address = connectionOptions.address ?? 'localhost:7233';
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...connectionOptions, address, connectTimeout: '5s' });
  } catch (err) {
    throw new CliError(
      EXIT.temporalUnreachable,
      `cannot reach Temporal at ${address} (${(err as Error).message}); start it with \`npm run temporal\` ` +
        'or set TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TEMPORAL_API_KEY'
    );
  }
  return {
    client: new Client({ connection, namespace, dataConverter }),
    namespace,
    address,
    close: () => connection.close(),
  };
}

/**
 * Runs `fn` on a fresh connection and closes it after, whatever `fn` does: every command that talks to
 * Temporal. Without THUMBGATE_PAYLOAD_KEYS, an encrypted batch is a usage error naming the fix (exit 2),
 * unless the command reads no payloads (`withoutKeys: 'blank'`).
 */
export async function withTemporal<T>(
  fn: (temporal: Connected) => Promise<T>,
  { withoutKeys = 'refuse' }: { withoutKeys?: WithoutKeys } = {}
): Promise<T> {
  const temporal = await connectTemporal(withoutKeys);
  try {
    return await withPayloadKeys(() => fn(temporal));
  } finally {
    await temporal.close();
  }
}

/** Reads the payload keys; a bad THUMBGATE_PAYLOAD_KEYS / _KEY_ID setting is a usage error (exit code 2). */
export function withPayloadKeys<T>(read: () => T): T {
  const usageError = (err: unknown): never => {
    if (err instanceof PayloadKeyError) throw new CliError(EXIT.invalidInput, err.message);
    throw err;
  };
  try {
    const value = read();
    // A command's promise: a payload that needs keys may only show up while it runs.
    return (value instanceof Promise ? value.catch(usageError) : value) as T;
  } catch (err) {
    return usageError(err);
  }
}

function uiBase(namespace: string): string {
  const base = (process.env.THUMBGATE_UI_URL ?? 'http://localhost:8233').replace(/\/+$/, '');
  return `${base}/namespaces/${encodeURIComponent(namespace)}`;
}

/** Link to a workflow in the Temporal Web UI. */
export function uiLink(namespace: string, workflowId: string): string {
  return `${uiBase(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** Link to a schedule in the Temporal Web UI. */
export function scheduleLink(namespace: string, scheduleId: string): string {
  return `${uiBase(namespace)}/schedules/${encodeURIComponent(scheduleId)}`;
}
