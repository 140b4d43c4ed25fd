/**
 * Output files are written under a temporary name, fsynced and renamed into place, so a reader (or a
 * retried activity) never sees half a file — not even after a crash of the host: a retry simply
 * replaces each file with identical content.
 */
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

const TEMP_NAME = /^\..+\.\d+\.[0-9a-f]{12}\.tmp$/;

/**
 * Removes temporary files a killed attempt left in `dir`, so a retry leaves exactly the files a clean
 * run would. A still-running stale attempt then fails its rename, which is harmless: its result is
 * no longer awaited.
 */
export async function removeStaleTempFiles(dir: string): Promise<void> {
  const names = await readdir(dir);
  await Promise.all(names.filter((n) => TEMP_NAME.test(n)).map((n) => rm(join(dir, n), { force: true })));
}

export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(data);
      // Data on disk before the rename makes it visible: a crash never leaves a renamed, empty file.
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** A text file written a piece at a time (results of a 10,000-thumbnail batch need not sit in memory). */
export class AtomicTextFile {
  private constructor(
    readonly path: string,
    private readonly tmp: string,
    private readonly handle: FileHandle
  ) {}

  static async open(path: string): Promise<AtomicTextFile> {
    const tmp = tempPathFor(path);
    return new AtomicTextFile(path, tmp, await open(tmp, 'w'));
  }

  async write(text: string): Promise<void> {
    await this.handle.write(text);
  }

  async commit(): Promise<void> {
    await this.handle.sync();
    await this.handle.close();
    await rename(this.tmp, this.path);
  }

  /** Drops the temporary file; safe after a failed write or commit. */
  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await rm(this.tmp, { force: true });
  }
}
