// `npm run setup`: idempotent offline setup. Fetches the pinned Node runtime from
// the npm registry, installs missing Debian packages, installs npm dependencies
// from the lockfile when they changed, builds the mediasoup worker from source.
// Runs on the bootstrap Node (20 or newer); everything else runs on the pinned one.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import {
  root, versions, cacheDir, nodeDir, nodeBin, nodePackageName, projectEnv, workerPatchDir, hashTree,
} from './lib/runtime.mjs';
import { buildWorker } from './lib/build-worker.mjs';
import { buildWeb } from './lib/build-web.mjs';
import { ensureServerBundle } from './lib/build-server.mjs';
import { applyNpmPatches } from './lib/npm-patches.mjs';

const timings = [];
async function step(name, fn) {
  const start = Date.now();
  process.stdout.write(`setup: ${name} …\n`);
  const what = await fn();
  const seconds = ((Date.now() - start) / 1000).toFixed(1);
  timings.push({ step: name, seconds: Number(seconds), did: what });
  process.stdout.write(`setup: ${name}: ${what} (${seconds} s)\n`);
}

function run(cmd, args, opts = {}) {
  const result = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (result.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed with exit code ${result.status ?? result.signal}`);
  }
}

function missingDebianPackages(names) {
  return names.filter((name) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
    return !(r.status === 0 && r.stdout.includes('install ok installed'));
  });
}

async function debianPackages() {
  const wanted = [...versions.debianPackages.worker, ...versions.debianPackages.tests];
  const missing = missingDebianPackages(wanted);
  if (missing.length === 0) return 'all present';
  if (process.getuid?.() !== 0) {
    throw new Error(`missing Debian packages (install as root): apt-get install -y ${missing.join(' ')}`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const hadApache = missingDebianPackages(['apache2']).length === 0;
  run('apt-get', ['update', '-q'], { env });
  run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { env });
  const quieted = !hadApache && missingDebianPackages(['apache2']).length === 0 ? `; ${quietApache()}` : '';
  return `installed ${missing.join(' ')}${quieted}`;
}

/**
 * simplesamlphp depends on `apache2 | httpd`, so apt brings apache2, whose postinst
 * starts it on port 80 where services may start (not under Docker's policy-rc.d).
 * The tests serve SimpleSAMLphp with PHP's built-in server on loopback: a web
 * server this setup installed is stopped and disabled (one the machine had is left alone).
 */
function quietApache() {
  if (existsSync('/run/systemd/system')) {
    spawnSync('systemctl', ['disable', '--now', 'apache2'], { stdio: 'inherit' });
  } else {
    spawnSync('apache2ctl', ['stop'], { stdio: 'inherit' });
    spawnSync('update-rc.d', ['apache2', 'disable'], { stdio: 'inherit' });
  }
  return 'apache2 (pulled in by simplesamlphp) stopped and disabled';
}

async function nodeRuntime() {
  if (existsSync(nodeBin)) return `cached ${nodeDir}`;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = mkdtempSync(join(cacheDir, 'node-download-'));
  try {
    const out = execFileSync('npm', ['pack', nodePackageName(), '--pack-destination', tmp, '--silent'], {
      cwd: tmp, encoding: 'utf8',
    }).trim().split('\n').pop();
    run('tar', ['xzf', join(tmp, out), '-C', tmp]);
    const version = execFileSync(join(tmp, 'package', 'bin', 'node'), ['--version'], { encoding: 'utf8' }).trim();
    if (version !== `v${versions.node}`) throw new Error(`${nodePackageName()} reports ${version}`);
    renameSync(join(tmp, 'package'), nodeDir);
    return `fetched ${nodePackageName()} into ${nodeDir}`;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function npmDependencies() {
  const stampFile = join(root, 'node_modules', '.portier-stamp');
  const stamp = createHash('sha256')
    .update(readFileSync(join(root, 'package-lock.json')))
    .update(versions.node)
    .update(hashTree(workerPatchDir))
    .digest('hex');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return 'unchanged, skipped npm ci';
  run('npm', ['ci', '--no-audit', '--no-fund'], { env: projectEnv() });
  writeFileSync(stampFile, stamp);
  return 'npm ci from package-lock.json';
}

try {
  const started = Date.now();
  await step('Debian packages', debianPackages);
  await step(`Node ${versions.node}`, nodeRuntime);
  await step('npm dependencies', npmDependencies);
  await step('npm patches', () => applyNpmPatches().join('; '));
  await step(`mediasoup ${versions.mediasoup} worker`, () => buildWorker());
  await step('web pages', () => buildWeb());
  // Built here too because a systemd unit may not write to the checkout (ProtectSystem=strict).
  await step('server bundle', () => { const { main, built } = ensureServerBundle(); return `${built ? 'built' : 'current'} ${main.slice(root.length + 1)}`; });
  const total = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(`setup: done in ${total} s\n${JSON.stringify({ total_seconds: Number(total), steps: timings })}\n`);
} catch (error) {
  process.stderr.write(`setup: FAILED: ${error.message}\n`);
  process.exit(1);
}
