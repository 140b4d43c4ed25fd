/**
 * Where manifests may be read from: a schedule's manifest only from under the manifest root (no `..`,
 * no symbolic link leading out, `/proc/self/environ` least of all), and any manifest only from a regular
 * file opened without blocking — a FIFO is refused at once instead of holding a thread forever.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ManifestError,
  ManifestSourceError,
  ManifestUnreadableError,
  loadManifest,
  loadManifestUnderRoot,
  templateUnderRoot,
} from '../../node/manifest/index.js';
import { resolveBatchOptions } from '../../shared/batch-options.js';
import { OUTSIDE_CANARY, makeManifestRoot, type ManifestRoot } from '../helpers/manifest-root.js';
import { rejection } from '../helpers/rejection.js';

const options = resolveBatchOptions();
const MANIFEST = '{"id": "a", "prompt": "a lighthouse at dusk"}\n';

const unreadable = (load: Promise<unknown>) => rejection(load, ManifestUnreadableError);

describe('manifest sources', () => {
  let tree: ManifestRoot;
  let base: string;
  let root: string;
  let outside: string;
  beforeAll(async () => {
    tree = await makeManifestRoot(MANIFEST);
    ({ base, root, outside } = tree);
  });
  afterAll(() => tree?.remove());

  test('a path relative to the root, an absolute one inside it and a link that stays inside are read', async () => {
    expect(await loadManifestUnderRoot(root, 'briefs/today.jsonl', options)).toHaveLength(1);
    expect(await loadManifestUnderRoot(root, join(root, 'briefs', 'today.jsonl'), options)).toHaveLength(1);
    expect(await loadManifestUnderRoot(root, 'briefs/link-in.jsonl', options)).toHaveLength(1);
  });

  test('/proc/self/environ, `..` and absolute paths outside the root are refused without being read', async () => {
    for (const path of ['/proc/self/environ', '../outside/secret.jsonl', join(outside, 'secret.jsonl')]) {
      const err = await unreadable(loadManifestUnderRoot(root, path, options));
      expect(err.message).toMatch(/is outside the manifest root .* put the file there and give its path relative/);
      expect(err.message).not.toMatch(new RegExp(`PATH=|HOME=|${OUTSIDE_CANARY}`));
    }
  });

  test('symbolic links inside the root that lead outside are refused, file or folder', async () => {
    for (const path of ['briefs/link-out.jsonl', 'dir-out/secret.jsonl']) {
      const err = await unreadable(loadManifestUnderRoot(root, path, options));
      expect(err.message).toMatch(/leads \(through a symbolic link\) outside the manifest root/);
      expect(err.message).not.toContain(OUTSIDE_CANARY);
    }
  });

  test('a FIFO is refused at once, under the root and as a --manifest file, even more of them than threads', async () => {
    const fifo = join(root, 'briefs', 'pipe.jsonl');
    // More than libuv's four threads: a blocking open would stall every one of them, and this test.
    const errors = await Promise.all([
      ...Array.from({ length: 6 }, () => unreadable(loadManifestUnderRoot(root, 'briefs/pipe.jsonl', options))),
      unreadable(loadManifest(fifo, options)),
    ]);
    for (const err of errors) {
      expect(err.problems[0]?.message).toBe(
        `${fifo} is not a regular file (a FIFO, socket or device) — a manifest must be an ordinary file`
      );
    }
    expect(await loadManifest(join(root, 'briefs', 'today.jsonl'), options)).toHaveLength(1);
  });

  test('a device is not a manifest either', async () => {
    const err = await unreadable(loadManifest('/dev/zero', options));
    expect(err.message).toMatch(/\/dev\/zero is not a regular file/);
  });

  test('a missing file names where it was looked for; a missing root says how to make one', async () => {
    const missing = await unreadable(loadManifestUnderRoot(root, 'briefs/2026-12-08.jsonl', options));
    expect(missing.message).toContain(`file not found (looked for ${join(root, 'briefs', '2026-12-08.jsonl')})`);
    const noRoot = await unreadable(loadManifestUnderRoot(join(base, 'nope'), 'x.jsonl', options));
    expect(noRoot.message).toMatch(/the manifest root .*nope does not exist — create it .* THUMBGATE_MANIFEST_ROOT/);
  });

  test('a template is checked at create time as its files will be when it fires, and kept relative', async () => {
    expect(await templateUnderRoot(root, 'briefs/{date}.jsonl')).toBe(join('briefs', '{date}.jsonl'));
    expect(await templateUnderRoot(root, join(root, 'new', '{date}', 'x.jsonl'))).toBe(
      join('new', '{date}', 'x.jsonl')
    );
    await expect(templateUnderRoot(root, '/proc/self/environ')).rejects.toThrow(ManifestSourceError);
    await expect(templateUnderRoot(root, '../outside/{date}.jsonl')).rejects.toThrow(/is outside the manifest root/);
    await expect(templateUnderRoot(root, 'dir-out/{date}.jsonl')).rejects.toThrow(
      /leads \(through a symbolic link\) outside/
    );
    // A root that does not exist yet holds no links: the template is kept for when it does.
    expect(await templateUnderRoot(join(base, 'later'), 'a/{date}.csv')).toBe(join('a', '{date}.csv'));
  });

  test('the manifest error of a file read under the root names the file, not the content', async () => {
    await writeFile(join(root, 'briefs', 'bad.jsonl'), '{"id": "a", "prompt": ""}\n');
    await expect(loadManifestUnderRoot(root, 'briefs/bad.jsonl', options)).rejects.toThrow(ManifestError);
    await expect(loadManifestUnderRoot(root, 'briefs/bad.jsonl', options)).rejects.toThrow(
      `${join(root, 'briefs', 'bad.jsonl')} line 1, field "prompt": empty prompt`
    );
  });
});
