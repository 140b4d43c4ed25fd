/**
 * The generation workers' completion-callback secrets, from the environment (docs/operations.md,
 * "Completion callbacks"). Each receiver gets its own, so one receiver cannot forge callbacks for another:
 *
 *   THUMBGATE_WEBHOOK_SECRETS="hooks.example.com=<secret>, sched.internal:8443=<secret>"
 *   THUMBGATE_WEBHOOK_SECRET=<secret>   (hosts not listed above)
 *
 * Entries are separated by commas or whitespace and split at their first `=` (a host never holds one,
 * a base64 secret may); a secret holds no comma or whitespace. A host without a port matches every port.
 * Errors name the variable and the entry's host or position, never a secret.
 */
import { CallbackKeyring, type HostSecret } from '../node/callback-signature.js';
import { ConfigError } from './config.js';

/** 32 characters: 128 bits as hex, more as base64. A short secret can be guessed offline from one callback. */
const MIN_SECRET_CHARS = 32;

const GENERATE = 'generate one with `openssl rand -hex 32`';

function checkedSecret(where: string, secret: string): string {
  if (secret.length < MIN_SECRET_CHARS) {
    throw new ConfigError(
      `${where} is shorter than ${MIN_SECRET_CHARS} characters: a short secret can be guessed from one signed ` +
        `callback; ${GENERATE} and give the receiver the same`
    );
  }
  return secret;
}

/** `host`, `host:port`, `[v6]` or `[v6]:port`. */
const HOST_ENTRY = /^(\[[0-9a-fA-F:.]+\]|[^\s:/?#@[\]\\]+)(?::(\d{1,5}))?$/;

function hostSecret(entry: string, position: number): HostSecret {
  const eq = entry.indexOf('=');
  if (eq < 0) {
    // Not echoed: a lone value may well be a secret pasted without its host.
    throw new ConfigError(
      `THUMBGATE_WEBHOOK_SECRETS entry ${position} has no "=": write each entry as host=secret or host:port=secret, ` +
        'separated by commas'
    );
  }
  const host = entry.slice(0, eq);
  const match = HOST_ENTRY.exec(host);
  let hostname: string | undefined;
  try {
    hostname = match ? new URL(`http://${match[1]}`).hostname : undefined;
  } catch {
    hostname = undefined;
  }
  const port = match?.[2] === undefined ? undefined : Number(match[2]);
  if (hostname === undefined || (port !== undefined && (port < 1 || port > 65535))) {
    throw new ConfigError(
      `THUMBGATE_WEBHOOK_SECRETS entry ${position}: ${JSON.stringify(host)} is not a host or host:port ` +
        '(the receiver host of a --notify-url, e.g. hooks.example.com or sched.internal:8443)'
    );
  }
  const name = port === undefined ? hostname : `${hostname}:${port}`;
  const secret = checkedSecret(`the THUMBGATE_WEBHOOK_SECRETS secret for ${name}`, entry.slice(eq + 1));
  return { hostname, ...(port !== undefined ? { port: String(port) } : {}), secret };
}

/** The keyring the notify activity signs with; throws ConfigError at start-up for a malformed or short secret. */
export function callbackKeysFromEnv(env: NodeJS.ProcessEnv): CallbackKeyring {
  const hosts = (env.THUMBGATE_WEBHOOK_SECRETS ?? '')
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((entry, i) => hostSecret(entry, i + 1));
  const seen = new Set<string>();
  for (const h of hosts) {
    const name = h.port === undefined ? h.hostname : `${h.hostname}:${h.port}`;
    if (seen.has(name)) throw new ConfigError(`THUMBGATE_WEBHOOK_SECRETS lists ${name} twice: keep one entry per host`);
    seen.add(name);
  }
  // Empty is how compose leaves a variable unset; surrounding whitespace is an editing slip, not key material.
  const fallback = env.THUMBGATE_WEBHOOK_SECRET?.trim();
  return new CallbackKeyring(hosts, fallback ? checkedSecret('THUMBGATE_WEBHOOK_SECRET', fallback) : undefined);
}
