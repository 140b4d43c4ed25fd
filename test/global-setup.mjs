// Plain ESM: jest loads global setup outside its module mapper, so the TypeScript helper
// shared with `npm run temporal` and the demo is loaded through tsx (and unhooked afterwards,
// or its loader thread would keep jest alive).
import { register } from 'tsx/esm/api';

/** One real Temporal dev server (in-memory, headless) for the whole suite; test files share it. */
export default async function globalSetup() {
  const tsx = register({ namespace: 'thumbgate-global-setup' });
  try {
    const { freePort, startDevServer } = await tsx.import('../scripts/temporal-server.ts', import.meta.url);
    const server = await startDevServer({ port: await freePort() });
    process.env.TEMPORAL_TEST_ADDRESS = server.address;
    globalThis.__temporalServer = server;
  } finally {
    await tsx.unregister();
  }
}
