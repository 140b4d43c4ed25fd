#!/usr/bin/env node
// Provides the headless Chromium that test/temporal-ui.e2e.test.ts drives (puppeteer-core downloads no
// browser of its own). Order: CHROMIUM_PATH → chromium / chromium-browser / google-chrome on PATH →
// as root on Debian/Ubuntu, `apt-get install chromium` → a message naming the fix. Idempotent: a found
// browser costs one `--version` call. Plain Node (no dependencies) so it runs before or right after `npm ci`.
// `--find` only looks (prints the path, or the fix and exit 1): the UI test asks that way, never installing.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
// fonts-liberation: chromium only recommends it, and without a font the UI screenshots show boxes.
const APT_PACKAGES = ['chromium', 'fonts-liberation'];

const BROWSER_FIX = [
  'thumbgate’s Temporal UI test needs Chromium (or Chrome) and found none.',
  'Provide it in one of two ways:',
  '  1. set CHROMIUM_PATH=/path/to/chromium, or put chromium / chromium-browser / google-chrome on PATH;',
  `  2. on Debian/Ubuntu: sudo apt-get install -y ${APT_PACKAGES.join(' ')}  (node scripts/setup-browser.mjs does this when run as root).`,
].join('\n');

function which(name) {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Whether the executable starts at all (a snap shim in a container, say, does not). */
function runs(executable) {
  const r = spawnSync(executable, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 && /chrom/i.test(r.stdout);
}

/** The first working Chromium/Chrome, or undefined. */
function findBrowser() {
  const candidates = [process.env.CHROMIUM_PATH, ...NAMES.map(which)];
  return candidates.find((c) => c && existsSync(c) && runs(c));
}

function isDebianLike() {
  if (existsSync('/etc/debian_version')) return true;
  try {
    return /^ID(_LIKE)?=.*\b(debian|ubuntu)\b/m.test(readFileSync('/etc/os-release', 'utf8'));
  } catch {
    return false;
  }
}

function aptGet(aptGetPath, args) {
  return spawnSync(aptGetPath, ['-qq', '-o', 'Dpkg::Use-Pty=0', ...args], {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/** Installs the browser with apt-get; refreshes the package lists only if the first try fails (it is slow). */
function aptInstall(aptGetPath, log) {
  const install = () => aptGet(aptGetPath, ['install', '-y', '--no-install-recommends', ...APT_PACKAGES]);
  log(`installing ${APT_PACKAGES.join(' ')} with apt-get`);
  let r = install();
  if (r.status !== 0) {
    log('apt-get install failed; running apt-get update and trying again');
    aptGet(aptGetPath, ['update']);
    r = install();
  }
  return r.status === 0 ? undefined : (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ');
}

function main() {
  const quiet = process.argv.includes('--quiet');
  const log = (msg) => {
    if (!quiet) console.log(`[setup-browser] ${msg}`);
  };
  let browser = findBrowser();
  if (process.argv.includes('--find')) {
    if (!browser) {
      console.error(BROWSER_FIX);
      process.exit(1);
    }
    console.log(browser);
    return;
  }
  if (browser) {
    log(`browser at ${browser}`);
    return;
  }
  const root = process.getuid?.() === 0;
  const aptGetPath = which('apt-get');
  if (root && isDebianLike() && aptGetPath) {
    const error = aptInstall(aptGetPath, log);
    browser = findBrowser();
    if (!browser) {
      console.error(`${BROWSER_FIX}\n  tried apt-get: ${error ?? 'installed, but no browser runs'}`);
      process.exit(1);
    }
    log(`browser at ${browser}`);
    return;
  }
  console.error(BROWSER_FIX);
  process.exit(1);
}

main();
