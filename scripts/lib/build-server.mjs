// Bundles the server (src/main.ts and the store's checkpoint thread) with esbuild;
// npm packages stay external. `npm start` runs the bundle: loading one module instead
// of Node stripping the types of ~120 saves ~25 MiB of idle memory (issue 16, part 3).
// A bundle lives in .build/server-<hash of src/ and the build options>, so a changed source is never run stale:
// a new hash is a new bundle, built before the gateway starts (about 0.2 s). The gateway is
// a chunk of its own that main.mjs imports only to start it.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { hashTree, root } from './runtime.mjs';

/** Node flags the server runs with (npm start, the process tests, the benches). The young
 *  generation keeps V8's default size: --max-semi-space-size=2 cut idle memory as much as
 *  src/core/startup-memory.ts does but made the hub scavenge ten times as often per card read. */
export const SERVER_NODE_FLAGS = ['--enable-source-maps'];

const ENTRIES = ['main.ts', 'store/checkpoint-worker.ts'];
/** How the bundle is built; part of its key, so a bundle built another way is not run either. */
const BUILD_OPTIONS = {
  outExtension: { '.js': '.mjs' }, bundle: true, packages: 'external', platform: 'node', format: 'esm', target: 'node22',
  // A dynamic import stays one: the gateway's graph (mediasoup, fastify, socket.io …) is a chunk
  // main.mjs loads only to start it, so check-config and audit verify do without (review s23 #9;
  // without splitting esbuild inlines it and hoists those imports to the top of main.mjs). The
  // chunks sit beside main.mjs: modules that find files by import.meta.url stay where they were.
  splitting: true, chunkNames: '[name]-[hash]',
  // Source maps without the sources' text: stack traces name src/ files and lines, and
  // --enable-source-maps parses a third of the bytes at start (−13 MiB idle).
  sourcemap: true, sourcesContent: false, logLevel: 'silent',
  // Without comments and indentation the bundle is ASCII (esbuild escapes strings, and the comments'
  // dashes and arrows are gone), and V8 holds an ASCII source one byte a character instead of two:
  // −2.1 MiB of the idle gateway's external memory (issue 16). Stack traces go through the source map.
  minifyWhitespace: true,
};
/** Bundles of other source versions older than this are removed (a process may still run one). */
const KEEP_OLD_MS = 60 * 60 * 1000;

/**
 * Returns the bundle's main module for the current sources, building it if needed.
 * Synchronous, so the process tests' spawnGateway() stays synchronous. Safe when several
 * processes call it at once: each builds into its own directory and renames it into place;
 * the loser discards its copy.
 */
export function ensureServerBundle({ srcDir = join(root, 'src'), buildDir = join(root, '.build') } = {}) {
  const key = createHash('sha256').update(hashTree(srcDir)).update(JSON.stringify(BUILD_OPTIONS)).digest('hex').slice(0, 16);
  const dir = join(buildDir, `server-${key}`);
  const main = join(dir, 'main.mjs');
  if (existsSync(main)) return { main, built: false };
  const esbuildPath = join(root, 'node_modules', 'esbuild', 'lib', 'main.js');
  if (!existsSync(esbuildPath)) throw new Error('esbuild missing: npm dependencies were not installed (npm run setup)');
  const { buildSync } = createRequire(import.meta.url)(esbuildPath);
  mkdirSync(buildDir, { recursive: true });
  const tmp = join(buildDir, `tmp-${process.pid}-${Date.now()}`);
  buildSync({ ...BUILD_OPTIONS, entryPoints: ENTRIES.map((e) => join(srcDir, e)), outbase: srcDir, outdir: tmp });
  try {
    renameSync(tmp, dir);
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(main)) throw error;
  }
  pruneOld(buildDir, dir);
  return { main, built: true };
}

function pruneOld(buildDir, keep) {
  const now = Date.now();
  for (const name of readdirSync(buildDir)) {
    const path = join(buildDir, name);
    if (path === keep) continue;
    try {
      if (now - statSync(path).mtimeMs > KEEP_OLD_MS) rmSync(path, { recursive: true, force: true });
    } catch { /* removed by another process meanwhile */ }
  }
}
