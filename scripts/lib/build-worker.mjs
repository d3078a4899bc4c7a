// Builds mediasoup-worker offline from the installed mediasoup package's own
// sources, against Debian's libraries, with the project's patches applied to a
// copy (never to node_modules in place). Cached by mediasoup version + patch hash.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, copyFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { root, versions, workerBinPath, workerPatchDir } from './runtime.mjs';

function runQuiet(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${(r.stdout ?? '') + (r.stderr ?? '')}`.slice(-4000));
  }
}

/** Runs ninja and prints a progress line every 10 %; on failure shows the tail. */
function ninja(buildDir) {
  return new Promise((resolve, reject) => {
    const child = spawn('ninja', ['-C', buildDir, 'mediasoup-worker'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail = [];
    let lastDecile = -1;
    const started = Date.now();
    const onData = (chunk) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        tail.push(line);
        if (tail.length > 60) tail.shift();
        const m = /^\[(\d+)\/(\d+)\]/.exec(line);
        if (!m) continue;
        const decile = Math.floor((Number(m[1]) / Number(m[2])) * 10);
        if (decile > lastDecile) {
          lastDecile = decile;
          const s = Math.round((Date.now() - started) / 1000);
          process.stdout.write(`setup:   worker build ${decile * 10} % (${m[1]}/${m[2]}, ${s} s)\n`);
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`ninja failed (${code}):\n${tail.join('\n')}`)));
  });
}

export async function buildWorker() {
  const target = workerBinPath();
  if (existsSync(target)) return `cached ${target}`;

  const pkgDir = join(root, 'node_modules', 'mediasoup');
  const installed = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version;
  if (installed !== versions.mediasoup) {
    throw new Error(`node_modules has mediasoup ${installed}, setup pins ${versions.mediasoup}`);
  }

  const work = `${dirname(target)}.building`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    cpSync(join(pkgDir, 'worker'), join(work, 'worker'), { recursive: true });
    cpSync(join(workerPatchDir, 'compat'), join(work, 'worker', 'compat'), { recursive: true });
    for (const patch of readdirSync(workerPatchDir).filter((f) => f.endsWith('.patch')).sort()) {
      runQuiet('patch', ['-p1', '--forward', '--batch', '-d', work, '-i', join(workerPatchDir, patch)], work);
    }
    runQuiet('meson', [
      'setup', join(work, 'build'), join(work, 'worker'),
      '--buildtype', 'release', '-Db_ndebug=true', '-Dms_log_trace=false', '-Dms_log_file_line=false',
      '--wrap-mode=nodownload',
    ], work);
    await ninja(join(work, 'build'));
    const staged = join(work, 'out');
    mkdirSync(staged);
    copyFileSync(join(work, 'build', 'mediasoup-worker'), join(staged, 'mediasoup-worker'));
    // Without MEDIASOUP_VERSION the worker exits 41 at once: proves it loads and links.
    const probe = spawnSync(join(staged, 'mediasoup-worker'), [], { env: {}, encoding: 'utf8' });
    if (probe.status !== 41) throw new Error(`built worker does not start: ${probe.status} ${probe.stderr}`);
    renameSync(staged, dirname(target));
    return `built ${target}`;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
