/**
 * One run of the gate benchmark: for each world, the pool from the cache or bought and scored
 * afresh (then cached), and every policy replayed over it offline.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { loadManifest } from '../../node/manifest/index.js';
import { DEFAULT_BATCH_OPTIONS } from '../../shared/batch-options.js';
import { buyWorld } from './buy.js';
import { codeVersion, poolKey, readPool, writePool } from './cache.js';
import { POLICIES, noGate, oracle, type Policy } from './policies.js';
import type { World, WorldPool } from './pool.js';
import { figuresFor, type PolicyFigures } from './report.js';

export interface GateBenchOptions {
  manifestPath: string;
  /** The first `briefs` of the manifest (all when undefined). */
  briefs?: number;
  worlds: readonly World[];
  cacheDir: string;
  /** Buy afresh even when the cache holds the pool (the new pool is cached). */
  noCache?: boolean;
  latencyScale?: number;
  concurrency?: number;
  policies?: readonly Policy[];
  log?: (line: string) => void;
}

export interface WorldRun {
  pool: WorldPool;
  /** Whether the pool came from the cache (no provider calls made this run). */
  cached: boolean;
  key: string;
  /** The hash of the scorer's and emulator's source the pool was made with (cache.ts). */
  code: string;
  /** Wall time this run spent on the world: buying and scoring, or reading the cache, plus the replay. */
  wallMs: number;
  figures: PolicyFigures[];
}

export async function runGateBench(options: GateBenchOptions): Promise<WorldRun[]> {
  const log = options.log ?? (() => {});
  const policies = options.policies ?? POLICIES;
  const bytes = await readFile(options.manifestPath);
  const all = await loadManifest(options.manifestPath, DEFAULT_BATCH_OPTIONS);
  const briefs = options.briefs === undefined ? all : all.slice(0, options.briefs);
  const drafts = Math.max(...policies.map((p) => p.needs.drafts));
  const manifestSha256 = createHash('sha256').update(bytes).update(`\0${briefs.length}`).digest('hex');
  const code = await codeVersion();
  const runs: WorldRun[] = [];
  for (const world of options.worlds) {
    const t0 = performance.now();
    const key = poolKey(world, manifestSha256, drafts, code);
    let pool = options.noCache ? undefined : await readPool(options.cacheDir, key);
    const cached = pool !== undefined;
    if (!pool) {
      log(`${world.name}: buying ${briefs.length} briefs × (${drafts} drafts + 1 re-roll) and scoring them ...`);
      pool = await buyWorld(world, briefs, {
        drafts,
        latencyScale: options.latencyScale ?? 0.01,
        concurrency: options.concurrency ?? 2,
        onProgress: (done, total) => {
          if (done % 25 === 0 || done === total) log(`  ${world.name}: ${done}/${total}`);
        },
      });
      await writePool(options.cacheDir, key, pool);
    } else log(`${world.name}: replaying the cached pool ${key}`);
    const figures = figuresFor(pool, policies, noGate, oracle);
    runs.push({ pool, cached, key, code, wallMs: performance.now() - t0, figures });
  }
  return runs;
}
