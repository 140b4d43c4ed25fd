/** loadManifest: read a manifest file and parse it, turning file-system failures into ManifestErrors. */
import { resolve } from 'node:path';
import type { BatchOptions } from '../../shared/batch-options.js';
import type { ThumbnailBrief } from '../../shared/thumbnail-brief.js';
import { decodeManifest, tooLargeMessage } from './decode.js';
import { ManifestError, ManifestUnreadableError } from './errors.js';
import { parseManifest, type ManifestFormat } from './parse.js';
import { ManifestSourceError, readManifestFile, resolveUnderRoot } from './source.js';

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
    case 'ELOOP':
      return `${absolute}: a loop of symbolic links, or a link put in its place while it was opened — give the manifest file itself`;
    default:
      if (error instanceof ManifestSourceError) return error.message;
      return `cannot read ${absolute}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function parseBytes(
  path: string,
  bytes: Buffer | { tooLarge: number },
  options: BatchOptions,
  format?: ManifestFormat
): ThumbnailBrief[] {
  if (!Buffer.isBuffer(bytes)) throw new ManifestError(path, [{ message: tooLargeMessage(bytes.tooLarge) }]);
  const decoded = decodeManifest(bytes);
  if (decoded.problems) throw new ManifestError(path, decoded.problems);
  return parseManifest(decoded.text, { fileName: path, options, format });
}

/** A manifest the user names (`thumbgate start --manifest`): any regular file they can read. */
export async function loadManifest(
  path: string,
  options: BatchOptions,
  format?: ManifestFormat
): Promise<ThumbnailBrief[]> {
  let bytes: Buffer | { tooLarge: number };
  try {
    bytes = await readManifestFile(path);
  } catch (error) {
    throw new ManifestUnreadableError(path, [{ message: readFailure(path, error) }]);
  }
  return parseBytes(path, bytes, options, format);
}

/**
 * A manifest a worker reads for a schedule: `path` (relative to `root`, or absolute) must be a regular
 * file under `root` once `..` and symbolic links are resolved (node/manifest/source.ts).
 */
export async function loadManifestUnderRoot(
  root: string,
  path: string,
  options: BatchOptions
): Promise<ThumbnailBrief[]> {
  const shown = resolve(root, path);
  let bytes: Buffer | { tooLarge: number };
  try {
    bytes = await readManifestFile(await resolveUnderRoot(root, path), { noFollow: true });
  } catch (error) {
    throw new ManifestUnreadableError(shown, [{ message: readFailure(shown, error) }]);
  }
  return parseBytes(shown, bytes, options);
}
