/**
 * Where a manifest's bytes may come from. Any regular file is opened without blocking and measured before
 * it is read: a FIFO or device would otherwise hold a libuv thread for as long as nobody writes to it
 * (four such opens stall every file operation of the worker). A schedule's manifest (read by a worker,
 * from a path anyone who can create a schedule chooses) must also lie under the manifest root
 * (THUMBGATE_MANIFEST_ROOT): after `..` and every symbolic link are resolved, or `/proc/self/environ`
 * would be read and its contents quoted back in the error.
 */
import { constants } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { MAX_MANIFEST_BYTES } from './decode.js';

/** The file cannot be used as a manifest for a reason of its own (not an errno): the message says which. */
export class ManifestSourceError extends Error {
  override readonly name = 'ManifestSourceError';
}

// Absent on Windows, where FIFOs are not files and symlink checks come from realpath alone.
const NONBLOCK = constants.O_NONBLOCK ?? 0;
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/**
 * The file's bytes, or its size when over the limit. Opened non-blocking and checked with fstat to be a
 * regular file before a byte is read; `noFollow` also refuses a symbolic link as the last component.
 */
export async function readManifestFile(
  path: string,
  { noFollow = false }: { noFollow?: boolean } = {}
): Promise<Buffer | { tooLarge: number }> {
  const file = await open(path, constants.O_RDONLY | NONBLOCK | (noFollow ? NOFOLLOW : 0));
  try {
    const stats = await file.stat();
    if (stats.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (!stats.isFile()) {
      throw new ManifestSourceError(
        `${resolve(path)} is not a regular file (a FIFO, socket or device) — a manifest must be an ordinary file`
      );
    }
    if (stats.size > MAX_MANIFEST_BYTES) return { tooLarge: stats.size };
    // Read to the end, not to the measured size (the file may grow while read), but never past the limit.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(1024 * 1024);
      const { bytesRead } = await file.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > MAX_MANIFEST_BYTES) return { tooLarge: total };
    }
    return Buffer.concat(chunks, total);
  } finally {
    await file.close();
  }
}

/** Whether `path` is `root` or below it (both absolute and normalised). */
function isWithin(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

function outsideRoot(path: string, root: string, how: string): ManifestSourceError {
  return new ManifestSourceError(
    `${JSON.stringify(path)} ${how} the manifest root ${root} — schedule manifests are read only from under ` +
      'THUMBGATE_MANIFEST_ROOT: put the file there and give its path relative to that folder'
  );
}

/** The root's real path; a root that does not exist is reported as the fix it needs. */
async function realRoot(root: string): Promise<string> {
  try {
    return await realpath(root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new ManifestSourceError(
      `the manifest root ${root} does not exist — create it and put the schedule's manifests there, ` +
        'or set THUMBGATE_MANIFEST_ROOT to the folder that holds them'
    );
  }
}

/**
 * `path` (relative to `root`, or absolute) as a real path under the root's real path, or a
 * ManifestSourceError: `..` that climbs out and symbolic links that lead out are both refused. A
 * missing file is thrown as realpath's ENOENT, naming where it was looked for.
 */
export async function resolveUnderRoot(root: string, path: string): Promise<string> {
  const absoluteRoot = resolve(root);
  const wanted = resolve(absoluteRoot, path);
  if (path.includes('\0') || !isWithin(absoluteRoot, wanted)) throw outsideRoot(path, absoluteRoot, 'is outside');
  const rootReal = await realRoot(absoluteRoot);
  const real = await realpath(wanted);
  if (!isWithin(rootReal, real)) throw outsideRoot(path, absoluteRoot, 'leads (through a symbolic link) outside');
  return real;
}

/**
 * A schedule's template checked where the schedule is created, as `resolveUnderRoot` will check its
 * files when it fires: the template relative to the root (as stored, so the CLI and the workers may mount
 * the root at different paths), or a ManifestSourceError. The file need not exist yet (it has a `{date}`),
 * so the deepest folder of it that exists is what must not lead outside.
 */
export async function templateUnderRoot(root: string, template: string): Promise<string> {
  const absoluteRoot = resolve(root);
  const wanted = resolve(absoluteRoot, template);
  if (template.includes('\0') || !isWithin(absoluteRoot, wanted)) {
    throw outsideRoot(template, absoluteRoot, 'is outside');
  }
  let existing = wanted;
  for (;;) {
    const found = await stat(existing).then(
      () => true,
      () => false
    );
    if (found || dirname(existing) === existing) break;
    existing = dirname(existing);
  }
  // Only what lies inside the root can lead out of it; a root not created yet holds nothing.
  if (isWithin(absoluteRoot, existing) && !isWithin(await realRoot(absoluteRoot), await realpath(existing))) {
    throw outsideRoot(template, absoluteRoot, 'leads (through a symbolic link) outside');
  }
  return relative(absoluteRoot, wanted);
}
