#!/usr/bin/env node
// `npm run lint`'s checks of the compose files. COMPOSE_FILES is their one list (test/deployment.test.ts
// checks that it names every compose file in the tree); each file gets:
//   1. dclint --max-warnings 0: style and best practice;
//   2. deploy/compose-config: the loader `docker compose config` runs (compose-go: the Compose Spec
//      schema, interpolation, normalisation and the consistency checks), as CI has no Docker engine.
//      Each file is interpolated with its sibling .env.example (blank values count as set), never a real
//      .env or the process environment, so every ${VAR:?…} a file requires must be listed there. All
//      profiles are enabled, so profile-only services (`cli`) get the consistency checks too.
// That needs Go (deploy/compose-config/go.mod names the minimum): on PATH, or /usr/local/go/bin/go.
// `go run` downloads the modules go.sum pins on its first run; later runs use Go's build cache.
//
//   node scripts/compose-config.mjs           both checks
//   node scripts/compose-config.mjs --print   the normalised YAML of each file (what `docker compose config` prints)
//   node scripts/compose-config.mjs --list    the compose files, one a line
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const COMPOSE_FILES = [
  'docker-compose.yml', // one-host dev
  'deploy/docker-compose.prod.yml', // production, with deploy/.env.example
];

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MODULE = join(ROOT, 'deploy', 'compose-config');
const GO_FALLBACK = '/usr/local/go/bin/go';

/** The minimum Go version, from the module's go.mod `go` line, e.g. [1, 24]. */
function requiredGo() {
  const m = /^go (\d+)\.(\d+)/m.exec(readFileSync(join(MODULE, 'go.mod'), 'utf8'));
  if (!m) throw new Error(`no go line in ${join(MODULE, 'go.mod')}`);
  return [Number(m[1]), Number(m[2])];
}

function goFix(minimum, problem) {
  return [
    `compose-config: ${problem}`,
    `The compose check (deploy/compose-config, what \`docker compose config\` runs) needs Go ≥ ${minimum}.`,
    `Fix: install Go ≥ ${minimum} from https://go.dev/dl/ (e.g. into /usr/local/go) and put its bin/ on PATH.`,
  ].join('\n');
}

/** The go binary (PATH, then /usr/local/go/bin/go), checked against go.mod's minimum; or an error message. */
function findGo() {
  const [major, minor] = requiredGo();
  const minimum = `${major}.${minor}`;
  const onPath = spawnSync('sh', ['-c', 'command -v go'], { encoding: 'utf8' });
  const go = onPath.status === 0 ? onPath.stdout.trim() : existsSync(GO_FALLBACK) ? GO_FALLBACK : undefined;
  if (!go) return { error: goFix(minimum, `no \`go\` on PATH or at ${GO_FALLBACK}.`) };
  const r = spawnSync(go, ['env', 'GOVERSION'], { encoding: 'utf8' });
  const version = /^go(\d+)\.(\d+)/.exec(r.stdout ?? '');
  if (!version) {
    const why = r.error?.message ?? (r.stderr.trim() || `exit status ${r.status}`);
    return { error: goFix(minimum, `${go} does not run: ${why}`) };
  }
  const [haveMajor, haveMinor] = [Number(version[1]), Number(version[2])];
  if (haveMajor < major || (haveMajor === major && haveMinor < minor)) {
    return { error: goFix(minimum, `${go} is ${r.stdout.trim()}.`) };
  }
  return { go };
}

function dclint(files) {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('dclint/package.json');
  const bin = join(dirname(pkg), JSON.parse(readFileSync(pkg, 'utf8')).bin.dclint);
  const r = spawnSync(process.execPath, [bin, ...files, '--max-warnings', '0'], { cwd: ROOT, stdio: 'inherit' });
  return r.status === 0;
}

function composeGo(files, { print }) {
  const { go, error } = findGo();
  if (error) {
    console.error(error);
    return false;
  }
  const flags = ['--dir', ROOT, '--env-example', '--os-env=false', '--profile', '*', ...(print ? ['--print'] : [])];
  const r = spawnSync(go, ['run', '.', ...flags, ...files], { cwd: MODULE, stdio: 'inherit' });
  if (r.error) console.error(`compose-config: ${go} run failed: ${r.error.message}`);
  return r.status === 0;
}

function main() {
  const args = process.argv.slice(2);
  if (args.includes('--list')) {
    console.log(COMPOSE_FILES.join('\n'));
    return;
  }
  const print = args.includes('--print');
  // Both checks run, so one CI run reports everything.
  const linted = print || dclint(COMPOSE_FILES);
  const loaded = composeGo(COMPOSE_FILES, { print });
  if (!linted || !loaded) process.exit(1);
}

main();
