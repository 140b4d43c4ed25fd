/** The real `thumbgate` CLI as a child process: the project's bin, the project as working directory. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../node/paths.js';

const exec = promisify(execFile);
const BIN = join(projectRoot, 'bin', 'thumbgate.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function thumbgate(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], {
      cwd: projectRoot,
      env: { ...process.env, ...env },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
