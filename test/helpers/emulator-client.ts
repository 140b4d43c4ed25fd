/**
 * The Segmind emulator and a SegmindClient on it, for the describe block that calls
 * {@link useEmulatorClient}: started before its tests, reset before each,
 * closed after them all. Real HTTP over undici.
 */
import { SegmindClient, type SegmindClientOptions } from '../../activities/segmind/client.js';
import { createEmulator, type Emulator } from '../../emulator/server.js';

export interface EmulatorClient {
  readonly emulator: Emulator;
  readonly client: SegmindClient;
  /** Another client on the same emulator, with its own options (a lower cap, a shorter deadline). */
  clientWith(options: Partial<SegmindClientOptions>): SegmindClient;
}

/** Registers the hooks; read the fields inside tests (they are set in beforeAll). */
export function useEmulatorClient(): EmulatorClient {
  const env = {
    clientWith: (options) => new SegmindClient({ apiKey: env.emulator.apiKey, baseUrl: env.emulator.url, ...options }),
  } as EmulatorClient & { emulator: Emulator; client: SegmindClient };
  beforeAll(async () => {
    env.emulator = await createEmulator();
    env.client = env.clientWith({});
  });
  afterAll(() => env.emulator.close());
  beforeEach(() => env.emulator.reset());
  return env;
}
