/**
 * Where outputs may go. A batch id or thumbnail id becomes a path segment, so each is checked twice:
 * against the id rule, and by resolving the path and confirming it is still inside the batch folder
 * (so a rule change elsewhere can never open a traversal here).
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { ApplicationFailure } from '@temporalio/common';
import { failure } from '../../shared/failures.js';
import { SAFE_ID_RULE, isSafeId } from '../../shared/thumbnail-brief.js';

/** Retrying cannot make a bad name good: every refusal is non-retryable. */
export function unsafePath(message: string): ApplicationFailure {
  return failure('UnsafeOutputPath', message);
}

export function assertSafeId(kind: 'batch id' | 'thumbnail id', id: unknown): asserts id is string {
  if (!isSafeId(id)) throw unsafePath(`${kind} ${JSON.stringify(id)} is not safe as a file name (${SAFE_ID_RULE})`);
}

/** True when `path` is strictly inside `dir` (both already absolute and normalised). */
export function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !isAbsolute(rel) && rel.split(sep)[0] !== '..';
}

/** `dir/segments...`, refused unless it resolves strictly inside `dir`. */
export function resolveInside(dir: string, ...segments: string[]): string {
  const path = resolve(dir, ...segments);
  if (!isInside(dir, path)) throw unsafePath(`${segments.join('/')} would be written outside ${dir}`);
  return path;
}

/** The batch folder `outRoot/batchId`, absolute. */
export function batchOutputDir(outRoot: string, batchId: string): string {
  assertSafeId('batch id', batchId);
  return resolveInside(resolve(outRoot), batchId);
}

/**
 * After the folders exist: refuses when a symlink (the batch folder itself or a sub-folder) points
 * somewhere else, since writing "into" it would land outside the output root.
 */
export async function assertRealDirInside(outRoot: string, dir: string): Promise<void> {
  const realRoot = await realpath(resolve(outRoot));
  const expected = join(realRoot, relative(resolve(outRoot), dir));
  const actual = await realpath(dir);
  if (actual !== expected) throw unsafePath(`${dir} resolves to ${actual}, outside ${realRoot}`);
}
