/** docker-compose.yml and the Dockerfile: local-only ports, signals reach node, graceful stops; dclint passes. */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../common/paths.js';

const exec = promisify(execFile);

describe('deployment files', () => {
  let compose: string;
  let dockerfile: string;
  beforeAll(async () => {
    compose = await readFile(join(projectRoot, 'docker-compose.yml'), 'utf8');
    dockerfile = await readFile(join(projectRoot, 'Dockerfile'), 'utf8');
  });

  test('every published port is bound to 127.0.0.1 (the dev server has no authentication)', () => {
    const ports = [...compose.matchAll(/^\s+ports:\n((?:\s+- .*\n)+)/gm)].flatMap((m) =>
      m[1]!
        .trim()
        .split('\n')
        .map((l) => l.trim().replace(/^- /, '').replace(/['"]/g, ''))
    );
    expect(ports.length).toBeGreaterThanOrEqual(3);
    for (const port of ports) expect(port).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
  });

  test('workers get a stop grace period longer than a render, and tini forwards signals', () => {
    const graces = [...compose.matchAll(/stop_grace_period: (\d+)s/g)].map((m) => Number(m[1]));
    expect(graces).toHaveLength(2);
    for (const g of graces) expect(g).toBeGreaterThanOrEqual(120);
    expect(compose).toMatch(/^\s+init: true/m);
  });

  test('containers run node directly, never through npm or npx (which would swallow SIGTERM)', () => {
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node"\]/m);
    expect(`${dockerfile}\n${compose}`).not.toMatch(
      /\b(npx|npm)\b.*(ENTRYPOINT|entrypoint)|(ENTRYPOINT|entrypoint).*\b(npx|npm)\b/
    );
  });

  test('dclint validates docker-compose.yml with no errors or warnings', async () => {
    const bin = join(projectRoot, 'node_modules', 'dclint', 'bin', 'dclint.cjs');
    const { stdout } = await exec(process.execPath, [bin, 'docker-compose.yml', '--max-warnings', '0'], {
      cwd: projectRoot,
    });
    expect(stdout).not.toMatch(/error/i);
  }, 60_000);
});
