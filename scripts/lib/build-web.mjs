// Builds the browser pages (terminal, desk, admin: Preact + mediasoup-client)
// with esbuild into web/dist. Fast (about a second), so it runs on every setup.
import { mkdirSync, copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './runtime.mjs';

export const PAGES = ['terminal', 'desk', 'admin'];

export async function buildWeb() {
  const esbuildPath = join(root, 'node_modules', 'esbuild', 'lib', 'main.js');
  if (!existsSync(esbuildPath)) throw new Error('esbuild missing: npm dependencies were not installed');
  const { build } = await import(esbuildPath);
  const out = join(root, 'web', 'dist');
  mkdirSync(out, { recursive: true });
  const result = await build({
    entryPoints: Object.fromEntries(PAGES.map((p) => [p, join(root, 'web', 'src', p, 'main.tsx')])),
    outdir: out, bundle: true, format: 'esm', platform: 'browser', target: 'chrome110',
    jsx: 'automatic', jsxImportSource: 'preact', minify: true, sourcemap: true, logLevel: 'silent', metafile: true,
  });
  copyFileSync(join(root, 'web', 'src', 'style.css'), join(out, 'portier.css'));
  const kb = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith('.js'))
    .map(([f, o]) => `${f.split('/').pop()} ${Math.round(o.bytes / 1024)} KiB`);
  return `built ${kb.join(', ')}`;
}
