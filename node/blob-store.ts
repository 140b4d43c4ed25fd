import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isSha256Hex, type BlobRef } from '../shared/blob-ref.js';
import { writeFileAtomic } from './atomic-file.js';

/**
 * Content-addressed image storage. Workflows carry {@link BlobRef}s; only activities touch bytes.
 * Small JSON records (e.g. the candidate index) live beside the blobs under their own names.
 */
export interface BlobStore {
  put(bytes: Uint8Array, contentType: string): Promise<BlobRef>;
  get(ref: Pick<BlobRef, 'sha256'>): Promise<Buffer>;
  has(ref: Pick<BlobRef, 'sha256'>): Promise<boolean>;
  /** Local path of a blob, for tools that want a file (contact sheets, outputs). */
  pathOf(ref: Pick<BlobRef, 'sha256'>): string;
  putRecord(namespace: string, key: string, value: unknown): Promise<void>;
  getRecord<T>(namespace: string, key: string): Promise<T | undefined>;
  /** Keys of every record in a namespace, sorted. */
  listRecords(namespace: string): Promise<string[]>;
}

export class BlobNotFoundError extends Error {
  constructor(readonly sha256: string) {
    super(`blob ${sha256} is not in the store`);
    this.name = 'BlobNotFoundError';
  }
}

const SAFE_NAME = /^[A-Za-z0-9._-]{1,200}$/;

/** Creates the folder, then writes via temp file + rename: readers never see a partial file. */
async function writeAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, bytes);
}

export class LocalBlobStore implements BlobStore {
  constructor(readonly root: string) {}

  pathOf(ref: Pick<BlobRef, 'sha256'>): string {
    if (!isSha256Hex(ref.sha256)) throw new TypeError(`not a sha256 reference: ${JSON.stringify(ref.sha256)}`);
    return join(this.root, 'sha256', ref.sha256.slice(0, 2), ref.sha256);
  }

  async put(bytes: Uint8Array, contentType: string): Promise<BlobRef> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const ref: BlobRef = { sha256, bytes: bytes.byteLength, contentType };
    // Same address means same bytes: an existing blob is already complete (writes are atomic).
    if (!(await this.has(ref))) await writeAtomic(this.pathOf(ref), bytes);
    return ref;
  }

  async get(ref: Pick<BlobRef, 'sha256'>): Promise<Buffer> {
    try {
      return await readFile(this.pathOf(ref));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFoundError(ref.sha256);
      throw err;
    }
  }

  async has(ref: Pick<BlobRef, 'sha256'>): Promise<boolean> {
    try {
      await stat(this.pathOf(ref));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  private recordPath(namespace: string, key: string): string {
    if (!SAFE_NAME.test(namespace) || !SAFE_NAME.test(key)) {
      throw new TypeError(`record names must match ${SAFE_NAME}: ${namespace}/${key}`);
    }
    return join(this.root, 'records', namespace, `${key}.json`);
  }

  async putRecord(namespace: string, key: string, value: unknown): Promise<void> {
    await writeAtomic(this.recordPath(namespace, key), JSON.stringify(value));
  }

  async getRecord<T>(namespace: string, key: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(this.recordPath(namespace, key), 'utf8')) as T;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async listRecords(namespace: string): Promise<string[]> {
    const dir = dirname(this.recordPath(namespace, 'x'));
    try {
      const names = await readdir(dir);
      return names
        .filter((n) => n.endsWith('.json'))
        .map((n) => n.slice(0, -'.json'.length))
        .sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }
}
