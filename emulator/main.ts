/**
 * `npm run emulator [-- --port 8787 --latency-scale 1 --fault-rate 0.05 ...]`: the Segmind
 * emulator as a standalone process for the demo and manual runs. Flags win over environment.
 */
import { parseArgs } from 'node:util';
import { microsFromUsd } from './models.js';
import { parseFaultConfig, type FaultConfig, type FaultKind } from './faults.js';
import { DEFAULT_EMULATOR_API_KEY, DEFAULT_EMULATOR_PORT, createEmulator } from './server.js';

const USAGE = `Segmind emulator (v1 sync, v2 async)

  --port N             listen port (SEGMIND_EMULATOR_PORT, default ${DEFAULT_EMULATOR_PORT}; 0 = any free port)
  --host H             listen address (SEGMIND_EMULATOR_HOST, default 127.0.0.1)
  --api-key K          accepted x-api-key (SEGMIND_EMULATOR_API_KEY, default ${DEFAULT_EMULATOR_API_KEY})
  --latency-scale X    0 = instant, 1 = realistic (SEGMIND_EMULATOR_LATENCY_SCALE, default 1)
  --credits-usd X      starting balance (SEGMIND_EMULATOR_CREDITS_USD, default 100)
  --fault-rate R       random retryable faults, 0–1 (SEGMIND_EMULATOR_FAULT_RATE, default 0),
                       split 40% 429 / 30% 500 / 20% 503 / 10% truncate
  --faults JSON        full fault config (SEGMIND_EMULATOR_FAULTS), see docs/emulator.md
  --seed N             seed for random faults and omitted request seeds (SEGMIND_EMULATOR_SEED, default 0)
  --retry-after S      Retry-After of 429s in seconds (SEGMIND_EMULATOR_RETRY_AFTER, default 1)
  --rpm N              plan rate limit, generation submits per minute per key (SEGMIND_EMULATOR_RPM,
                       default 0 = unlimited)
  --result-ttl S       seconds a v2 result stays available (SEGMIND_EMULATOR_RESULT_TTL, default 3600)
  --draft-defect-rate R  share of draft-model images with a pixel defect, 0–1
                       (SEGMIND_EMULATOR_DRAFT_DEFECT_RATE, default 0.6)
  --misspelling-rate R share of draft-model images whose quoted text is misspelt, 0–1
                       (SEGMIND_EMULATOR_MISSPELLING_RATE, default 0.4)
  --quiet              do not log requests
`;

/** How a single --fault-rate is spread: only retryable kinds, so a demo run heals itself. */
const FAULT_MIX: Partial<Record<FaultKind, number>> = { '429': 0.4, '500': 0.3, '503': 0.2, truncate: 0.1 };

function num(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`${name} must be a non-negative number, got ${JSON.stringify(raw)}`);
  return n;
}

/** A 0–1 share, or undefined when not given (the emulator's default applies). */
function share(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const n = num(name, raw, 0);
  if (n > 1) throw new Error(`${name} must be a number from 0 to 1, got ${JSON.stringify(raw)}`);
  return n;
}

async function main(): Promise<void> {
  const env = process.env;
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'api-key': { type: 'string' },
      'latency-scale': { type: 'string' },
      'credits-usd': { type: 'string' },
      'fault-rate': { type: 'string' },
      faults: { type: 'string' },
      seed: { type: 'string' },
      'retry-after': { type: 'string' },
      rpm: { type: 'string' },
      'result-ttl': { type: 'string' },
      'draft-defect-rate': { type: 'string' },
      'misspelling-rate': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const seed = Math.floor(num('--seed', values.seed ?? env.SEGMIND_EMULATOR_SEED, 0));
  const faultRate = num('--fault-rate', values['fault-rate'] ?? env.SEGMIND_EMULATOR_FAULT_RATE, 0);
  if (faultRate > 1) throw new Error('--fault-rate must be at most 1');
  const faultsJson = values.faults ?? env.SEGMIND_EMULATOR_FAULTS;
  let faults: FaultConfig = {};
  if (faultsJson) faults = parseFaultConfig(JSON.parse(faultsJson));
  else if (faultRate > 0) {
    const rates = Object.fromEntries(Object.entries(FAULT_MIX).map(([k, share]) => [k, share * faultRate]));
    faults = { random: { seed, rates } };
  }
  faults.retryAfterSeconds ??= num('--retry-after', values['retry-after'] ?? env.SEGMIND_EMULATOR_RETRY_AFTER, 1);

  const draftDefectRate = share(
    '--draft-defect-rate',
    values['draft-defect-rate'] ?? env.SEGMIND_EMULATOR_DRAFT_DEFECT_RATE
  );
  const misspellingRate = share(
    '--misspelling-rate',
    values['misspelling-rate'] ?? env.SEGMIND_EMULATOR_MISSPELLING_RATE
  );
  const emulator = await createEmulator({
    port: Math.floor(num('--port', values.port ?? env.SEGMIND_EMULATOR_PORT, DEFAULT_EMULATOR_PORT)),
    host: values.host ?? env.SEGMIND_EMULATOR_HOST ?? '127.0.0.1',
    apiKeys: [values['api-key'] ?? env.SEGMIND_EMULATOR_API_KEY ?? DEFAULT_EMULATOR_API_KEY],
    latencyScale: num('--latency-scale', values['latency-scale'] ?? env.SEGMIND_EMULATOR_LATENCY_SCALE, 1),
    creditsMicros: microsFromUsd(num('--credits-usd', values['credits-usd'] ?? env.SEGMIND_EMULATOR_CREDITS_USD, 100)),
    faults,
    seed,
    ...(draftDefectRate === undefined ? {} : { draftDefectRate }),
    ...(misspellingRate === undefined ? {} : { misspellingRate }),
    rpm: Math.floor(num('--rpm', values.rpm ?? env.SEGMIND_EMULATOR_RPM, 0)),
    resultTtlMs: 1000 * num('--result-ttl', values['result-ttl'] ?? env.SEGMIND_EMULATOR_RESULT_TTL, 3600),
    log: values.quiet ? undefined : (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`),
  });
  // First line is machine-readable for scripts that start the emulator and wait for it.
  process.stdout.write(`Segmind emulator listening on ${emulator.url}\n`);
  // Only the well-known default key is echoed: a configured key (possibly a real one) stays out of logs.
  const shownKey = emulator.apiKey === DEFAULT_EMULATOR_API_KEY ? emulator.apiKey : '<the key you configured>';
  process.stdout.write(`  export SEGMIND_BASE_URL=${emulator.url} SEGMIND_API_KEY=${shownKey}\n`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: stopping emulator\n`);
    emulator.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      }
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(`emulator: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
