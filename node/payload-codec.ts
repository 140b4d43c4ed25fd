/**
 * End-to-end encryption of everything thumbgate hands Temporal (issue 17.5): workflow and activity
 * inputs and results carry prompts, brief metadata, notify URLs and provider error text, and Temporal
 * keeps histories for the namespace's retention (30 days). With THUMBGATE_PAYLOAD_KEYS set, every
 * payload leaves the client or worker as AES-256-GCM ciphertext, and failure messages and stack traces
 * travel in an encoded payload too; the server, its database and its backups see neither.
 *
 * Keys come from the environment only: THUMBGATE_PAYLOAD_KEYS is `keyId:base64key[,keyId:base64key…]`
 * (32-byte keys, `openssl rand -base64 32`), THUMBGATE_PAYLOAD_KEY_ID the id that encrypts (default:
 * the first listed). Every listed key decrypts, so rotation is: add the new key, switch the id, keep the
 * old one listed until no retained history needs it. Unset: the codec is off (the demo, most tests).
 *
 * THUMBGATE_PAYLOAD_REQUIRE=1 (set on the workers once no retained history predates the keys) makes
 * the codec refuse to decode a plain payload: a client without the keys (a keyless `thumbgate start`)
 * writes its inputs in the clear, and this stops such a batch before it runs, so clients must carry
 * the keys. Off by default: plain payloads from before the codec, and the replay fixtures, still read.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { METADATA_ENCODING_KEY, type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';

export const KEYS_VAR = 'THUMBGATE_PAYLOAD_KEYS';
export const KEY_ID_VAR = 'THUMBGATE_PAYLOAD_KEY_ID';
export const REQUIRE_VAR = 'THUMBGATE_PAYLOAD_REQUIRE';

/** The metadata Temporal's encryption samples use, so the UI and other codecs recognise the payload. */
const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID_METADATA = 'encryption-key-id';

const CIPHER = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64_PATTERN = /^[A-Za-z0-9+/]+={0,2}$/;
const GENERATE_HINT = 'generate one with `openssl rand -base64 32`';

/**
 * The failure converter with `encodeCommonAttributes`, as a CommonJS file: the SDK `require()`s it by
 * path in the worker and the client, and the workflow bundler compiles it into the sandbox.
 */
const FAILURE_CONVERTER_PATH = fileURLToPath(new URL('../shared/failure-converter.cjs', import.meta.url));

/** A bad THUMBGATE_PAYLOAD_KEYS / THUMBGATE_PAYLOAD_KEY_ID: names the variable and the fix, never a key. */
export class PayloadKeyError extends Error {
  override name = 'PayloadKeyError';
}

export interface PayloadKeys {
  /** The id new payloads are encrypted under. */
  activeKeyId: string;
  /** Every key that decrypts, by id. */
  keys: ReadonlyMap<string, Buffer>;
}

/** Whether THUMBGATE_PAYLOAD_REQUIRE is on (`1`/`true`; unset, empty, `0`, `false`: off). */
function requireFromEnv(env: NodeJS.ProcessEnv): boolean {
  const raw = (env[REQUIRE_VAR] ?? '').trim().toLowerCase();
  if (raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new PayloadKeyError(`${REQUIRE_VAR} must be 1 (refuse plain payloads) or 0 / unset (accept them)`);
}

/** The keys from the environment, or undefined when THUMBGATE_PAYLOAD_KEYS is unset (codec off). */
export function payloadKeysFromEnv(env: NodeJS.ProcessEnv = process.env): PayloadKeys | undefined {
  const listed = env[KEYS_VAR];
  const chosen = env[KEY_ID_VAR]?.trim() || undefined;
  if (listed === undefined) {
    if (chosen) throw new PayloadKeyError(`${KEY_ID_VAR} is set but ${KEYS_VAR} is not: list the keys there too`);
    return undefined;
  }
  // Set but empty is a mistake (an unset variable interpolated), not a request to turn encryption off.
  if (listed.trim() === '') {
    throw new PayloadKeyError(
      `${KEYS_VAR} is set but empty: list keys as keyId:base64key (${GENERATE_HINT}), or unset it to turn the payload codec off`
    );
  }
  const keys = new Map<string, Buffer>();
  listed.split(',').forEach((entry, i) => {
    const [id, key] = parseEntry(entry.trim(), i + 1);
    if (keys.has(id)) throw new PayloadKeyError(`${KEYS_VAR}: key id ${JSON.stringify(id)} is listed twice`);
    keys.set(id, key);
  });
  const activeKeyId = chosen ?? keys.keys().next().value!;
  if (!keys.has(activeKeyId)) {
    throw new PayloadKeyError(
      `${KEY_ID_VAR} is ${JSON.stringify(activeKeyId)}, which ${KEYS_VAR} does not list (it lists ${[...keys.keys()].join(', ')})`
    );
  }
  return { activeKeyId, keys };
}

/** One `keyId:base64key` entry; errors say which entry and why, and never echo the key material. */
function parseEntry(entry: string, n: number): [string, Buffer] {
  const colon = entry.indexOf(':');
  const id = colon < 0 ? '' : entry.slice(0, colon).trim();
  const encoded = colon < 0 ? '' : entry.slice(colon + 1).trim();
  if (!KEY_ID_PATTERN.test(id) || encoded === '') {
    throw new PayloadKeyError(
      `${KEYS_VAR}: entry ${n} is not keyId:base64key (key ids are 1-64 letters, digits, '.', '_' or '-')`
    );
  }
  if (!BASE64_PATTERN.test(encoded) || encoded.length % 4 !== 0) {
    throw new PayloadKeyError(`${KEYS_VAR}: key ${JSON.stringify(id)} is not valid base64; ${GENERATE_HINT}`);
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length !== KEY_BYTES) {
    throw new PayloadKeyError(
      `${KEYS_VAR}: key ${JSON.stringify(id)} is ${key.length} bytes; AES-256 needs ${KEY_BYTES} (${GENERATE_HINT})`
    );
  }
  return [id, key];
}

const utf8 = (bytes: Uint8Array | null | undefined): string | undefined =>
  bytes ? Buffer.from(bytes).toString('utf8') : undefined;

/** The whole payload (metadata too: it names the value's type) as the plaintext that is encrypted. */
function serialize(payload: Payload): Buffer {
  const metadata = Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])
  );
  return Buffer.from(JSON.stringify({ metadata, data: Buffer.from(payload.data ?? []).toString('base64') }));
}

function deserialize(plain: Buffer): Payload {
  const { metadata, data } = JSON.parse(plain.toString('utf8')) as { metadata: Record<string, string>; data: string };
  return {
    metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(data, 'base64'),
  };
}

/**
 * AES-256-GCM, a random 12-byte IV per payload, data = IV ‖ ciphertext ‖ tag, the key id in the
 * metadata (and bound as associated data, so relabelling a payload with another id fails to decrypt).
 * Payloads without the encrypted encoding decode unchanged (histories written before the codec was
 * turned on, and the replay fixtures, still read) unless `requireEncrypted` (THUMBGATE_PAYLOAD_REQUIRE).
 */
export class EncryptionCodec implements PayloadCodec {
  constructor(
    private readonly keys: PayloadKeys,
    private readonly requireEncrypted = false
  ) {}

  encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.keys.activeKeyId;
    const key = this.keys.keys.get(keyId)!;
    return Promise.resolve(
      payloads.map((payload) => {
        const iv = randomBytes(IV_BYTES);
        const cipher = createCipheriv(CIPHER, key, iv).setAAD(Buffer.from(keyId));
        const sealed = Buffer.concat([cipher.update(serialize(payload)), cipher.final()]);
        return {
          metadata: {
            [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
            [KEY_ID_METADATA]: Buffer.from(keyId),
          },
          data: Buffer.concat([iv, sealed, cipher.getAuthTag()]),
        };
      })
    );
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    // A payload that does not decrypt rejects the promise (the SDK and the codec server await it).
    return Promise.resolve().then(() => payloads.map((payload) => this.decodeOne(payload)));
  }

  private decodeOne(payload: Payload): Payload {
    if (utf8(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) {
      if (!this.requireEncrypted) return payload;
      throw new PayloadKeyError(
        `a payload arrived unencrypted and ${REQUIRE_VAR}=1 here accepts only encrypted ones: the client that ` +
          `started or signalled this workflow (thumbgate start, schedule create) must run with the workers' ` +
          `${KEYS_VAR}; unset ${REQUIRE_VAR} while histories from before encryption must still be read`
      );
    }
    const keyId = utf8(payload.metadata?.[KEY_ID_METADATA]) ?? '';
    const key = this.keys.keys.get(keyId);
    if (!key) {
      throw new PayloadKeyError(
        `a payload is encrypted under key id ${JSON.stringify(keyId)}, which ${KEYS_VAR} does not list: ` +
          'keep a retired key listed until no retained history needs it'
      );
    }
    const data = Buffer.from(payload.data ?? []);
    if (data.length < IV_BYTES + TAG_BYTES) {
      throw new PayloadKeyError(`a payload under key id ${JSON.stringify(keyId)} is too short to be ciphertext`);
    }
    const decipher = createDecipheriv(CIPHER, key, data.subarray(0, IV_BYTES)).setAAD(Buffer.from(keyId));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    try {
      return deserialize(
        Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()])
      );
    } catch {
      throw new PayloadKeyError(
        `a payload under key id ${JSON.stringify(keyId)} does not decrypt: ${KEYS_VAR} has another key under that id, ` +
          'or the payload was altered'
      );
    }
  }
}

/**
 * The codec for the environment's keys, or undefined when THUMBGATE_PAYLOAD_KEYS is unset. The codec
 * server calls it with `{ honourRequire: false }`: the UI must still show histories from before the keys.
 */
export function payloadCodecFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  { honourRequire = true }: { honourRequire?: boolean } = {}
): EncryptionCodec | undefined {
  const keys = payloadKeysFromEnv(env);
  const required = requireFromEnv(env);
  if (required && !keys) {
    throw new PayloadKeyError(`${REQUIRE_VAR} is set but ${KEYS_VAR} is not: list the keys, or unset ${REQUIRE_VAR}`);
  }
  return keys ? new EncryptionCodec(keys, required && honourRequire) : undefined;
}

/**
 * What a process without keys does with a payload another process encrypted: `refuse` fails with the
 * fix (reading inputs and results needs the keys); `blank` reads it as null, for a command that reads
 * only search attributes but whose listing the SDK decodes memos for (`thumbgate list`).
 */
export type WithoutKeys = 'refuse' | 'blank';

const NULL_PAYLOAD: Payload = { metadata: { [METADATA_ENCODING_KEY]: Buffer.from('binary/null') } };

/** The codec of a process without THUMBGATE_PAYLOAD_KEYS: writes plain payloads, reads encrypted ones as {@link WithoutKeys} says. */
class KeylessCodec implements PayloadCodec {
  constructor(private readonly unreadable: WithoutKeys) {}

  encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve(payloads);
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve().then(() =>
      payloads.map((payload) => {
        if (utf8(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return payload;
        if (this.unreadable === 'blank') return NULL_PAYLOAD;
        throw new PayloadKeyError(
          `this batch's payloads are encrypted (its workers run with ${KEYS_VAR}): ` +
            `give this process the same ${KEYS_VAR} (docs/operations.md#payload-encryption)`
        );
      })
    );
  }
}

/**
 * The one data converter every Temporal client and worker thumbgate creates uses. Off (the SDK's
 * default) without keys; with keys, the encryption codec and failures whose message and stack trace
 * are encoded payloads. `withoutKeys` (the CLI) says how a keyless process reads encrypted payloads
 * instead of the SDK's "Unknown encoding".
 */
export function payloadDataConverter(env: NodeJS.ProcessEnv = process.env, withoutKeys?: WithoutKeys): DataConverter {
  const codec = payloadCodecFromEnv(env);
  if (codec) return { payloadCodecs: [codec], failureConverterPath: FAILURE_CONVERTER_PATH };
  return withoutKeys ? { payloadCodecs: [new KeylessCodec(withoutKeys)] } : {};
}
