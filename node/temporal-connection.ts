import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { ClientConnectConfig } from '@temporalio/envconfig';

/**
 * Temporal connection settings from the standard environment variables and profile file
 * (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*; see README),
 * defaulting to the local dev server.
 */
export function temporalConnectConfig(): Required<ClientConnectConfig> {
  const config = loadClientConnectConfig();
  return {
    connectionOptions: { ...config.connectionOptions, address: config.connectionOptions.address ?? 'localhost:7233' },
    namespace: config.namespace ?? 'default',
  };
}
