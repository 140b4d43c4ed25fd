/**
 * `npm run temporal`: the Temporal dev server for users — SQLite under .data/ (state survives
 * restarts), gRPC on 7233, Web UI on 8233, the project's search attributes registered.
 * Exits 0 with a note when one is already running there.
 */
import { join } from 'node:path';
import { projectRoot } from '../node/paths.js';
import { isServing, startDevServer } from './temporal-server.js';

const port = Number(process.env.TEMPORAL_PORT ?? 7233);
const uiPort = Number(process.env.TEMPORAL_UI_PORT ?? 8233);
const address = `127.0.0.1:${port}`;

async function main(): Promise<void> {
  if (await isServing(address)) {
    console.log(`A Temporal server is already running at ${address}; Web UI (if enabled): http://127.0.0.1:${uiPort}`);
    return;
  }
  const server = await startDevServer({
    port,
    uiPort,
    dbFile: join(projectRoot, '.data', 'temporal.sqlite'),
    detached: true,
  });
  console.log(`Temporal dev server running at ${server.address} (pid ${server.process.pid})`);
  console.log(`Web UI: ${server.uiUrl}`);
  console.log(`Stop it with: kill ${server.process.pid}`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
