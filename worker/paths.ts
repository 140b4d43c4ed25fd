import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout's root, for defaults such as the store folder and the bundled tools. */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Workflows are registered by path: the worker bundles them into an isolated context. */
export const workflowsPath = resolve(projectRoot, 'workflows', 'index.ts');
