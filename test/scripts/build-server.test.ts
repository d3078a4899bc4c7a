// The server bundle `npm start` runs (scripts/lib/build-server.mjs): built from the
// current sources, rebuilt when any of them changes, never run stale, and safe when
// several processes ask for it at once. A dynamic import stays a module of its own.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureServerBundle, SERVER_NODE_FLAGS } from '../../scripts/lib/build-server.mjs';

const BUILDER = join(import.meta.dirname, '..', '..', 'scripts', 'lib', 'build-server.mjs');
let dir: string;
let srcDir: string;
let buildDir: string;

function writeSources(word: string): void {
  mkdirSync(join(srcDir, 'store'), { recursive: true });
  writeFileSync(join(srcDir, 'word.ts'), `export const word: string = '${word}';\n`);
  writeFileSync(join(srcDir, 'main.ts'), `import { word } from './word.ts';\nconsole.log(word);\nif (process.argv[2] === 'late') (await import('./late.ts')).fail();\n`);
  writeFileSync(join(srcDir, 'late.ts'), `export function fail(): never {\n  throw new Error('late module');\n}\n`);
  writeFileSync(join(srcDir, 'store', 'checkpoint-worker.ts'), `console.log('worker');\n`);
}
const run = (main: string) => execFileSync(process.execPath, [main], { encoding: 'utf8' }).trim();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'portier-build-'));
  srcDir = join(dir, 'src');
  buildDir = join(dir, '.build');
  writeSources('one');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('server bundle', () => {
  it('builds once per version of the sources and runs what the sources say', () => {
    const first = ensureServerBundle({ srcDir, buildDir });
    expect(first.built).toBe(true);
    expect(run(first.main)).toBe('one');
    expect(run(join(first.main, '..', 'store', 'checkpoint-worker.mjs'))).toBe('worker');
    const again = ensureServerBundle({ srcDir, buildDir });
    expect(again).toEqual({ main: first.main, built: false });

    writeSources('two');
    const changed = ensureServerBundle({ srcDir, buildDir });
    expect(changed.built).toBe(true);
    expect(changed.main).not.toBe(first.main);
    expect(run(changed.main)).toBe('two');
  });

  it('keeps a dynamic import a module of its own, loaded only when reached, with stack traces naming the source (review s23 #9)', () => {
    const { main } = ensureServerBundle({ srcDir, buildDir });
    const late = readdirSync(join(main, '..')).filter((f) => /^late-.*\.mjs$/.test(f));
    expect(late).toHaveLength(1);
    expect(readFileSync(main, 'utf8')).not.toContain('late module');
    const failed = spawnSync(process.execPath, [...SERVER_NODE_FLAGS, main, 'late'], { encoding: 'utf8' });
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/late\.ts:2/);
  });

  it('keeps one bundle when several processes build the same sources at once', async () => {
    const script = `import { ensureServerBundle } from ${JSON.stringify(BUILDER)};\n` +
      `console.log(JSON.stringify(ensureServerBundle({ srcDir: ${JSON.stringify(srcDir)}, buildDir: ${JSON.stringify(buildDir)} })));`;
    const results = await Promise.all([1, 2, 3].map(() => new Promise<{ main: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => { out += d; });
      // 'close', not 'exit': its line may still be unread at the exit.
      child.once('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`builder exited with ${code}`))));
    })));
    expect(new Set(results.map((r) => r.main)).size).toBe(1);
    expect(run(results[0]!.main)).toBe('one');
    expect(readdirSync(buildDir)).toEqual([results[0]!.main.split('/').at(-2)]);
  });
});
