/**
 * A manifest root (THUMBGATE_MANIFEST_ROOT) with every way out of it a schedule's manifest path could
 * try, for the tests of node/manifest/source.ts and of the workers that read through it.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The manifest outside the root: a refusal must never show its prompt. */
export const OUTSIDE_CANARY = 'outside-canary';

export interface ManifestRoot {
  /** A scratch folder holding `root` and `outside` (its real path: no symbolic link on the way). */
  base: string;
  /**
   * The root: `briefs/today.jsonl` (the manifest), `briefs/link-in.jsonl` (a link to it),
   * `briefs/link-out.jsonl` (a link to `outside/secret.jsonl`), `dir-out` (a link to `outside`) and
   * `briefs/pipe.jsonl` (a FIFO: reading it would block).
   */
  root: string;
  /** Beside the root: `secret.jsonl`, whose prompt is {@link OUTSIDE_CANARY}. */
  outside: string;
  remove(): Promise<void>;
}

export async function makeManifestRoot(manifest: string): Promise<ManifestRoot> {
  const base = await realpath(await mkdtemp(join(tmpdir(), 'thumbgate-root-')));
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  await mkdir(join(root, 'briefs'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(root, 'briefs', 'today.jsonl'), manifest);
  await writeFile(join(outside, 'secret.jsonl'), `{"id": "s", "prompt": "${OUTSIDE_CANARY}"}\n`);
  await symlink(join(outside, 'secret.jsonl'), join(root, 'briefs', 'link-out.jsonl'));
  await symlink(outside, join(root, 'dir-out'));
  await symlink(join(root, 'briefs', 'today.jsonl'), join(root, 'briefs', 'link-in.jsonl'));
  execFileSync('mkfifo', [join(root, 'briefs', 'pipe.jsonl')]);
  return { base, root, outside, remove: () => rm(base, { recursive: true, force: true }) };
}
