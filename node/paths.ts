import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout's root, for defaults such as the store folder and the bundled tools. */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Workflows are registered by path: the worker bundles them into an isolated context. */
export const workflowsPath = resolve(projectRoot, 'workflows', 'index.ts');

/** Content-addressed images and records; workers and the CLI must share it (a volume in docker-compose). */
export function defaultStoreDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.THUMBGATE_STORE_DIR ?? resolve(projectRoot, '.data', 'store'));
}

/** Where each batch's folder of outputs is written. */
export function defaultOutDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.THUMBGATE_OUT_DIR ?? resolve(projectRoot, 'out'));
}

/**
 * THUMBGATE_MANIFEST_ROOT: the only folder schedule manifests are read from (templates are relative to
 * it). Default: `manifests` beside the store folder — `.data/manifests` in a checkout, `/data/manifests`
 * in docker-compose's shared volume. The CLI checks templates against its own value: it and the workers
 * must name the same folder (or the same volume, mounted anywhere).
 */
export function defaultManifestRoot(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.THUMBGATE_MANIFEST_ROOT || resolve(dirname(defaultStoreDir(env)), 'manifests'));
}
