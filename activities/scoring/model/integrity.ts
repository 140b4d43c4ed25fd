/**
 * The CLIP model's files are accepted only with the right sha256. A pinned model
 * ({@link PINNED_CLIP_MODELS}) is downloaded at its fixed commit and each file is checked against the
 * table in code; any other model (or a pinned one at another THUMBGATE_CLIP_REVISION) is trusted on first
 * use: the first pull resolves the revision to a commit and records it with every file's sha256 in
 * `<cache>/<model>/thumbgate-lock.json`, and later pulls and loads are held to that record. A file that
 * fails its check is deleted (a download) or reported (a load), never used.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { fetch } from 'undici';
import type { LoadOptions } from './clip-model.js';
import { CLIP_ENV, DEFAULT_MODEL_HUB, PINNED_CLIP_MODELS, requiredModelFiles, type ClipModelConfig } from './config.js';
import { ClipModelUnavailableError, modelFolders } from './errors.js';

export const LOCK_FILE = 'thumbgate-lock.json';

/** What a folder's files must hash to, and where that rule comes from (named in errors). */
interface Expected {
  revision: string;
  sha256: Readonly<Record<string, string>>;
  source: string;
  /** The revision asked for when the lock was written (`main`, a tag), for a trust-on-first-use lock. */
  requested?: string;
}

interface ModelLock {
  modelId: string;
  /** The commit the files came from. */
  revision: string;
  requested: string;
  sha256: Record<string, string>;
}

/** A download larger than this is cut off: the largest CLIP file is ~350 MB. */
const MAX_FILE_BYTES = 1024 * 1024 * 1024;
const COMMIT = /^[0-9a-f]{40}$/;

function pinFor(config: ClipModelConfig): Expected | undefined {
  const pin = PINNED_CLIP_MODELS[config.modelId];
  if (!pin || (config.revision !== undefined && config.revision !== pin.revision)) return undefined;
  return { ...pin, source: `the pin in activities/scoring/model/config.ts (revision ${pin.revision})` };
}

async function lockIn(folder: string, config: ClipModelConfig): Promise<Expected | undefined> {
  const path = join(folder, LOCK_FILE);
  if (!existsSync(path)) return undefined;
  const lock = JSON.parse(await readFile(path, 'utf8')) as ModelLock;
  const asked = config.revision;
  if (lock.modelId !== config.modelId || (asked !== undefined && asked !== lock.revision && asked !== lock.requested)) {
    throw new ClipModelUnavailableError(
      config,
      [],
      `${path} records ${lock.modelId} at revision ${lock.revision}, not ${config.modelId}` +
        `${asked ? ` at ${asked} (${CLIP_ENV.revision})` : ''}: delete ${folder}/ and pull the model again`
    );
  }
  return { revision: lock.revision, requested: lock.requested, sha256: lock.sha256, source: `${path}` };
}

/** The rule for a folder: the pin in code, else the folder's lock, else none (a local, unlocked model). */
function expectedFor(config: ClipModelConfig, folder: string): Promise<Expected | undefined> {
  const pin = pinFor(config);
  return pin ? Promise.resolve(pin) : lockIn(folder, config);
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function mismatch(file: string, where: string, got: string, expected: Expected): string {
  return (
    `${file} ${where} has sha256 ${got}, but ${expected.source} requires ${expected.sha256[file]}. ` +
    'These bytes are not the pinned model (re-uploaded or altered on the hub, a mirror or a proxy in between)'
  );
}

/**
 * Checks every model file present in the folders the loader reads against its pin or lock; throws
 * {@link ClipModelUnavailableError} naming the file, both hashes and the fix. Unlocked local folders
 * (the committed tiny-clip, an operator's own export) are left as they are.
 */
export async function verifyModelFiles(config: ClipModelConfig): Promise<void> {
  for (const folder of modelFolders(config)) {
    if (!existsSync(folder)) continue;
    const expected = await expectedFor(config, folder);
    if (!expected) continue;
    for (const file of requiredModelFiles(config)) {
      const path = join(folder, file);
      const want = expected.sha256[file];
      if (want === undefined || !existsSync(path)) continue;
      const got = await sha256File(path);
      if (got !== want) {
        throw new ClipModelUnavailableError(
          config,
          [{ folder, missing: [] }],
          `${mismatch(file, `in ${folder}/`, got, expected)}; it was not loaded`
        );
      }
    }
  }
}

/**
 * Downloads what the cache folder lacks (or holds with the wrong hash) at the pinned or locked revision,
 * each file to `<file>.partial` and renamed into place only once its sha256 matches; then writes the lock.
 * A mismatch deletes the partial file and throws, naming the file, both hashes and the fix.
 */
export async function downloadModelFiles(config: ClipModelConfig, options: LoadOptions = {}): Promise<void> {
  const folder = join(config.cacheDir, config.modelId);
  const expected = await expectedFor(config, folder);
  const hub = config.hubUrl ?? DEFAULT_MODEL_HUB;
  const requested = expected?.requested ?? expected?.revision ?? config.revision ?? 'main';
  let revision = expected?.revision ?? requested;
  const hashes: Record<string, string> = { ...expected?.sha256 };
  for (const file of requiredModelFiles(config)) {
    const path = join(folder, file);
    if (existsSync(path)) {
      const got = await sha256File(path);
      if (expected?.sha256[file] === undefined || got === expected.sha256[file]) {
        hashes[file] = got; // present and right (or first seen: trusted now, held to it from here on)
        continue;
      }
      await rm(path); // wrong bytes in the cache: fetch the pinned ones
    }
    const url = `${hub}/${config.modelId}/resolve/${encodeURIComponent(revision)}/${file}`;
    const fetched = await download(url, path, file, options);
    // Trust on first use pins the commit `main` pointed at, so later files and pulls cannot drift.
    if (!expected && !COMMIT.test(revision) && fetched.commit && COMMIT.test(fetched.commit)) {
      revision = fetched.commit;
    }
    const want = expected?.sha256[file];
    if (want !== undefined && fetched.sha256 !== want) {
      await rm(`${path}.partial`, { force: true });
      throw new ClipModelUnavailableError(
        config,
        [{ folder, missing: [file] }],
        `${mismatch(file, `downloaded from ${url}`, fetched.sha256, expected!)}; the download was deleted. ` +
          `Check ${CLIP_ENV.hubUrl} and any proxy in between, then pull again; never copy this file into place`
      );
    }
    await rename(`${path}.partial`, path);
    hashes[file] = fetched.sha256;
  }
  const lock: ModelLock = { modelId: config.modelId, revision, requested, sha256: hashes };
  await writeFile(`${join(folder, LOCK_FILE)}.partial`, JSON.stringify(lock, null, 2) + '\n');
  await rename(`${join(folder, LOCK_FILE)}.partial`, join(folder, LOCK_FILE));
}

/** One file to `<path>.partial`, hashed on the way; the commit the hub says it came from (`x-repo-commit`). */
async function download(
  url: string,
  path: string,
  file: string,
  options: LoadOptions
): Promise<{ sha256: string; commit?: string }> {
  const res = await fetch(url).catch((err: Error & { cause?: Error }) => {
    // undici says only "fetch failed"; the cause (ECONNREFUSED, ENOTFOUND, a TLS error) is what to fix.
    throw new Error(`GET ${url}: ${err.message}${err.cause ? ` (${err.cause.message})` : ''}`);
  });
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new Error(`GET ${url} answered ${res.status} ${res.statusText}`);
  }
  const total = Number(res.headers.get('content-length')) || undefined;
  const hash = createHash('sha256');
  let loaded = 0;
  await mkdir(dirname(path), { recursive: true });
  try {
    await pipeline(
      Readable.fromWeb(res.body as WebReadableStream<Uint8Array>),
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          loaded += chunk.length;
          if (loaded > MAX_FILE_BYTES) throw new Error(`${url} is larger than ${MAX_FILE_BYTES} bytes`);
          hash.update(chunk);
          options.onProgress?.({
            status: 'progress',
            file,
            loaded,
            total,
            progress: total ? (loaded / total) * 100 : 0,
          });
          yield chunk;
        }
      },
      createWriteStream(`${path}.partial`)
    );
  } catch (err) {
    await rm(`${path}.partial`, { force: true });
    throw err;
  }
  options.onProgress?.({ status: 'done', file });
  return { sha256: hash.digest('hex'), commit: res.headers.get('x-repo-commit') ?? undefined };
}
