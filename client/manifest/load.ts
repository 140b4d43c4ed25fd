/** loadManifest: read a manifest file and parse it, turning file-system failures into ManifestErrors. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { BatchOptions } from '../../shared/batch-options.js';
import type { ThumbnailBrief } from '../../shared/thumbnail-brief.js';
import { ManifestError } from './errors.js';
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

export async function loadManifest(
  path: string,
  options: BatchOptions,
  format?: ManifestFormat
): Promise<ThumbnailBrief[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ManifestError(path, [{ message: readFailure(path, error) }]);
  }
  return parseManifest(text, { fileName: path, options, format });
}
