import { Client, Connection } from '@temporalio/client';
import { temporalConnectConfig } from '../common/temporal-connection.js';
import { CliError, EXIT } from './exit-codes.js';

export interface Connected {
  client: Client;
  namespace: string;
  address: string;
  close(): Promise<void>;
}

/** Connects with the standard TEMPORAL_* settings; an unreachable server is exit code 3. */
export async function connectTemporal(): Promise<Connected> {
  const { connectionOptions, namespace } = temporalConnectConfig();
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
    client: new Client({ connection, namespace }),
    namespace,
    address,
    close: () => connection.close(),
  };
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
