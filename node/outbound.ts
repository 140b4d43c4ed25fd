/**
 * Outbound requests to addresses someone else chose — the provider's v2 `output` URL, a batch's
 * `--notify-url` — go only where they belong. Three checks, one rule set per caller:
 * - the scheme (https; http only where the caller allows it),
 * - the host (an allowlist, when the caller has one),
 * - the address: private, loopback, link-local, CGNAT, multicast, reserved and unspecified addresses
 *   (and the IPv6 forms that embed one: `::ffff:127.0.0.1`, NAT64, 6to4) are refused unless the caller
 *   allows that host to have one.
 * The address check runs in the connector of an undici Agent, on the addresses DNS gave for this very
 * connection, and the socket connects to the address checked: a name that resolves to a public address
 * for a first look and to 169.254.169.254 a moment later (DNS rebinding) gains nothing.
 */
import { lookup } from 'node:dns/promises';
import { isIP, isIPv4 } from 'node:net';
import { Agent, buildConnector } from 'undici';

/** Why an address is not a public unicast one. */
export type AddressRange =
  'unspecified' | 'loopback' | 'private' | 'link-local' | 'shared (CGNAT)' | 'multicast' | 'broadcast' | 'reserved';

const V4_RANGES: ReadonlyArray<readonly [string, number, AddressRange]> = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (CGNAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'], // incl. the cloud metadata address 169.254.169.254
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'], // IETF protocol assignments
  ['192.0.2.0', 24, 'reserved'], // documentation
  ['192.88.99.0', 24, 'reserved'], // 6to4 relay anycast
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'], // benchmarking
  ['198.51.100.0', 24, 'reserved'], // documentation
  ['203.0.113.0', 24, 'reserved'], // documentation
  ['224.0.0.0', 4, 'multicast'],
  ['255.255.255.255', 32, 'broadcast'],
  ['240.0.0.0', 4, 'reserved'],
];

function v4Number(address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function v4Range(n: number): AddressRange | undefined {
  for (const [base, bits, range] of V4_RANGES) {
    const size = 2 ** (32 - bits);
    if (Math.floor(n / size) === Math.floor(v4Number(base) / size)) return range;
  }
  return undefined;
}

/** An IPv6 literal (no brackets) as a 128-bit number; it may end in a dotted IPv4 part. */
function v6Number(address: string): bigint {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const n = v4Number(dotted[1]!);
    text = `${text.slice(0, dotted.index)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function prefixOf(n: bigint, bits: number): bigint {
  return n >> BigInt(128 - bits);
}

const V6_RANGES: ReadonlyArray<readonly [string, number, AddressRange]> = [
  ['64:ff9b:1::', 48, 'reserved'], // local-use NAT64
  ['100::', 64, 'reserved'], // discard-only
  ['2001::', 23, 'reserved'], // IETF protocol assignments (Teredo, benchmarking, ORCHID)
  ['2001:db8::', 32, 'reserved'], // documentation
  ['fc00::', 7, 'private'], // unique local
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'private'], // site-local (deprecated)
  ['ff00::', 8, 'multicast'],
];

function v6Range(n: bigint): AddressRange | undefined {
  if (n === 0n) return 'unspecified';
  if (n === 1n) return 'loopback';
  const low32 = Number(n & 0xffffffffn);
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) reach the
  // embedded IPv4 address: judged as that address.
  if (
    prefixOf(n, 96) === 0xffffn ||
    prefixOf(n, 96) === 0n ||
    prefixOf(n, 96) === prefixOf(v6Number('64:ff9b::'), 96)
  ) {
    return v4Range(low32);
  }
  // 6to4 (2002:aabb:ccdd::/48) carries an IPv4 address in bits 16–47.
  if (prefixOf(n, 16) === 0x2002n) return v4Range(Number((n >> 80n) & 0xffffffffn));
  for (const [base, bits, range] of V6_RANGES) {
    if (prefixOf(n, bits) === prefixOf(v6Number(base), bits)) return range;
  }
  // Global unicast is 2000::/3; the rest of the space is unassigned.
  return prefixOf(n, 3) === 1n ? undefined : 'reserved';
}

/** The range a non-public IP address is in; undefined for a public unicast address (or not an IP). */
export function addressRange(address: string): AddressRange | undefined {
  const ip = address.replace(/^\[|\]$/g, '');
  if (isIPv4(ip)) return v4Range(v4Number(ip));
  if (isIP(ip) === 6) return v6Range(v6Number(ip));
  return undefined;
}

/** A host name as URLs and undici give it, compared lower-case, without IPv6 brackets or a final dot. */
export function normalHost(hostname: string): string {
  return hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
}

/** `localhost` (and `*.localhost`) or a loopback IP literal: this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = normalHost(hostname);
  return host === 'localhost' || host.endsWith('.localhost') || addressRange(host) === 'loopback';
}

interface HostRule {
  host: string;
  /** `*.example.com`: any name under example.com (not example.com itself). */
  wildcard: boolean;
  port?: number;
}

/**
 * A host allowlist from a setting's entries: `host`, `*.suffix`, IP literals, and with `ports`
 * `host:port` / `[v6]:port`. Throws a RangeError naming the setting and the bad entry.
 */
export function hostAllowlist(
  setting: string,
  entries: readonly string[],
  { ports }: { ports: boolean }
): (hostname: string, port: number) => boolean {
  const rules: HostRule[] = entries.map((raw) => {
    const entry = raw.trim();
    const wildcard = entry.startsWith('*.');
    const form = ports ? 'host, *.suffix or host:port' : 'host name or *.suffix';
    const bad = new RangeError(`${setting} entries are ${form}, comma-separated; got ${JSON.stringify(raw)}`);
    if (/[/@?#\s*]/.test(wildcard ? entry.slice(2) : entry)) throw bad;
    let url: URL;
    try {
      url = new URL(`http://${wildcard ? entry.slice(2) : entry}`);
    } catch {
      throw bad;
    }
    if (!url.hostname || (url.port && !ports)) throw bad;
    return { host: normalHost(url.hostname), wildcard, ...(url.port ? { port: Number(url.port) } : {}) };
  });
  return (hostname, port) => {
    const host = normalHost(hostname);
    return rules.some(
      (r) => (r.wildcard ? host.endsWith(`.${r.host}`) : host === r.host) && (r.port === undefined || r.port === port)
    );
  };
}

/** The comma-separated entries of a setting (empty when unset). */
export function settingList(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Where one caller's outbound requests may go. */
export interface OutboundRules {
  /** Schemes allowed, e.g. `['https:']`. */
  schemes: readonly string[];
  /** Hosts that may be contacted at all; absent: any host. */
  hostAllowed?: (hostname: string, port: number) => boolean;
  /** Whether `hostname:port` may be at a non-public address of `range`. */
  nonPublicAllowed: (hostname: string, port: number, range: AddressRange) => boolean;
  /** The settings that widen these rules, told with a refusal. */
  widen: string;
}

/** A destination the rules refuse; its message names the host, never an address DNS gave. */
export class OutboundRefusedError extends Error {
  readonly code = 'THUMBGATE_OUTBOUND_REFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'OutboundRefusedError';
  }
}

function portOf(url: { port: string; protocol: string }): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

function addressProblem(rules: OutboundRules, hostname: string, port: number, address: string): string | undefined {
  const range = addressRange(address);
  if (range === undefined || rules.nonPublicAllowed(normalHost(hostname), port, range)) return undefined;
  const what = isIP(normalHost(hostname)) ? 'is' : 'resolves to';
  return `${normalHost(hostname)} ${what} a ${range} address (${rules.widen})`;
}

/**
 * Why `url` may not be fetched under `rules` (scheme, host, an IP literal's range), or undefined.
 * Checked before anything is sent; a name's addresses are checked again at connect time.
 */
export function outboundProblem(url: URL, rules: OutboundRules): string | undefined {
  const host = normalHost(url.hostname);
  if (!rules.schemes.includes(url.protocol)) {
    return `${host}: ${url.protocol.replace(/:$/, '')} is not allowed, only ${rules.schemes.join(' or ').replace(/:/g, '')} (${rules.widen})`;
  }
  if (url.username || url.password) return `${host}: a URL with credentials is not fetched`;
  const port = portOf(url);
  if (rules.hostAllowed && !rules.hostAllowed(host, port)) return `${host} is not an allowed host (${rules.widen})`;
  return isIP(host) ? addressProblem(rules, host, port, host) : undefined;
}

/** Every address of a host name, as connecting to it would use them (tests answer for made-up names). */
export type Resolver = (hostname: string) => Promise<string[]>;

const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/**
 * An undici Agent that connects only where `rules` allow: each new connection resolves its host,
 * refuses it (OutboundRefusedError) if any address is out of bounds, and connects to the first
 * address checked, never to a second lookup's answer.
 */
export function outboundAgent(
  rules: OutboundRules,
  { resolve = systemResolver, connections }: { resolve?: Resolver; connections?: number } = {}
): Agent {
  const connect = buildConnector({});
  return new Agent({
    ...(connections ? { connections } : {}),
    keepAliveTimeout: 30_000,
    connect(options, callback) {
      const hostname = normalHost(options.hostname);
      const port = options.port ? Number(options.port) : options.protocol === 'https:' ? 443 : 80;
      const addresses = isIP(hostname) ? Promise.resolve([hostname]) : resolve(hostname);
      addresses.then(
        (list) => {
          const problem =
            list.length === 0
              ? `${hostname} has no address`
              : list.map((a) => addressProblem(rules, hostname, port, a)).find((p) => p !== undefined);
          if (problem) return callback(new OutboundRefusedError(problem), null);
          // `host` keeps the name, so TLS still verifies the certificate for it (SNI and all).
          connect({ ...options, hostname: list[0]! }, callback);
        },
        (err: Error) => callback(err, null)
      );
    },
  });
}
