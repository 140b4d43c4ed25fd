/** loadManifest: read a manifest file and parse it, turning file-system failures into ManifestErrors. */
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { BatchOptions } from '../../shared/batch-options.js';
import type { ThumbnailBrief } from '../../shared/thumbnail-brief.js';
import { MAX_MANIFEST_BYTES, decodeManifest, tooLargeMessage } from './decode.js';
import { ManifestError, ManifestUnreadableError } from './errors.js';
import { parseManifest, type ManifestFormat } from './parse.js';

function readFailure(path: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const absolute = resolve(path);
  switch (code) {
    case 'ENOENT':
      return `file not found (looked for ${absolute}) — check the --manifest path`;
    case 'EISDIR':
      return `${absolute} is a directory — pass the manifest file itself`;
    case 'EACCES':
    case 'EPERM':
      return `cannot read ${absolute}: permission denied`;
    default:
      return `cannot read ${absolute}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/**
 * The file's bytes, or its size when over the limit: a regular file is measured before it is read;
 * a pipe or device is read only until it passes the limit.
 */
async function readBounded(path: string): Promise<Buffer | { tooLarge: number }> {
  const file = await open(path, 'r');
  try {
    const stats = await file.stat();
    if (stats.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (stats.isFile() && stats.size > MAX_MANIFEST_BYTES) return { tooLarge: stats.size };
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

export async function loadManifest(
  path: string,
  options: BatchOptions,
  format?: ManifestFormat
): Promise<ThumbnailBrief[]> {
  let bytes: Buffer | { tooLarge: number };
  try {
    bytes = await readBounded(path);
  } catch (error) {
    throw new ManifestUnreadableError(path, [{ message: readFailure(path, error) }]);
  }
  if (!Buffer.isBuffer(bytes)) throw new ManifestError(path, [{ message: tooLargeMessage(bytes.tooLarge) }]);
  const decoded = decodeManifest(bytes);
  if (decoded.problems) throw new ManifestError(path, decoded.problems);
  return parseManifest(decoded.text, { fileName: path, options, format });
}
