/**
 * The bought-and-scored pools under .cache/bench-gate/, one JSON file per world, keyed by everything
 * that changes them: the world's rates, the drafts bought, the manifest's bytes, and the code of the
 * scorer and the emulator (their source files hashed, which is cheap), so a rerun replays without
 * buying and a changed scorer buys afresh.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { projectRoot } from '../../node/paths.js';
import type { World, WorldPool } from './pool.js';

export const DEFAULT_CACHE_DIR = join(projectRoot, '.cache', 'bench-gate');

/** Source that decides a pool: the scoring activity, the score's formula, the emulator that renders. */
const CODE = ['activities/scoring', 'shared/scoring.ts', 'emulator', 'models/tiny-clip/config.json'];

async function filesUnder(path: string): Promise<string[]> {
  const full = join(projectRoot, path);
  try {
    const entries = await readdir(full, { withFileTypes: true, recursive: true });
    return entries
      .filter((e) => e.isFile() && /\.(ts|json)$/.test(e.name))
      .map((e) => relative(projectRoot, join(e.parentPath, e.name)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return [path];
    throw err;
  }
}

/** A hash of the scorer's and emulator's source (the files' paths and bytes). */
export async function codeVersion(): Promise<string> {
  const files = (await Promise.all(CODE.map(filesUnder))).flat().sort();
  const hash = createHash('sha256');
  for (const f of files)
    hash
      .update(f)
      .update('\0')
      .update(await readFile(join(projectRoot, f)))
      .update('\0');
  return hash.digest('hex').slice(0, 16);
}

export function poolKey(world: World, manifestSha256: string, drafts: number, code: string): string {
  const what = JSON.stringify({ world, manifestSha256, drafts, code });
  return `${world.name}-${createHash('sha256').update(what).digest('hex').slice(0, 16)}`;
}

export async function readPool(dir: string, key: string): Promise<WorldPool | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, `${key}.json`), 'utf8')) as WorldPool;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export async function writePool(dir: string, key: string, pool: WorldPool): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${key}.json`), JSON.stringify(pool));
}
