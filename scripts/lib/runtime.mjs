// Where setup caches the pinned Node runtime and the mediasoup worker, shared by
// setup.mjs and run.mjs (both run on whatever Node bootstraps them).
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { homedir, arch } from 'node:os';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const versions = JSON.parse(readFileSync(join(root, 'scripts', 'versions.json'), 'utf8'));
// XDG_CACHE_HOME, not a PORTIER_ variable: those are configuration keys.
export const cacheDir = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'portier');

const nodeArch = { x64: 'x64', arm64: 'arm64' }[arch()];

export function nodePackageName() {
  if (!nodeArch) throw new Error(`no Node build on the npm registry for architecture ${arch()}`);
  return `node-linux-${nodeArch}@${versions.node}`;
}

export const nodeDir = join(cacheDir, `node-${versions.node}`);
export const nodeBin = join(nodeDir, 'bin', 'node');

function listFiles(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? listFiles(path) : [path];
    });
}

/** Hash of every file under the given directories (names and contents). */
export function hashTree(...dirs) {
  const hash = createHash('sha256');
  for (const dir of dirs) {
    for (const file of listFiles(dir)) {
      hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
    }
  }
  return hash.digest('hex');
}

export const workerPatchDir = join(root, 'scripts', 'worker');

export function workerBinPath() {
  const key = hashTree(workerPatchDir).slice(0, 12);
  return join(cacheDir, `mediasoup-worker-${versions.mediasoup}-${key}`, 'mediasoup-worker');
}

/** Environment every project command runs with: Node 24 first on PATH, our worker. */
export function projectEnv(base = process.env) {
  return {
    ...base,
    PATH: `${join(nodeDir, 'bin')}:${join(root, 'node_modules', '.bin')}:${base.PATH ?? ''}`,
    npm_config_nodedir: nodeDir,
    MEDIASOUP_WORKER_BIN: workerBinPath(),
  };
}
