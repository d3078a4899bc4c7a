// Builds the browser pages (terminal, desk, admin: Preact + mediasoup-client)
// with esbuild into web/dist, each bundle and the style sheet with its brotli
// (.br) and gzip (.gz) twin: the gateway sends those where the client accepts
// them (src/http/routes/page-routes.ts), without compressing per request. A few
// seconds, so it runs on every setup.
import { mkdirSync, copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';
import { join } from 'node:path';
import { root } from './runtime.mjs';

/** Writes file.br and file.gz next to `file` (after it: the gateway ignores a twin older than its file); their sizes. */
export function writeTwins(file) {
  const body = readFileSync(file);
  // Source maps are fetched by developer tools only: a quicker brotli quality is enough for them.
  const quality = file.endsWith('.map') ? 5 : constants.BROTLI_MAX_QUALITY;
  const br = brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: quality, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } });
  const gz = gzipSync(body, { level: 9 });
  writeFileSync(`${file}.br`, br);
  writeFileSync(`${file}.gz`, gz);
  return { bytes: body.length, br: br.length, gzip: gz.length };
}

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
  const sizes = Object.fromEntries([...PAGES.flatMap((p) => [`${p}.js`, `${p}.js.map`]), 'portier.css'].map((f) => [f, writeTwins(join(out, f))]));
  const kb = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith('.js'))
    .map(([f]) => { const name = f.split('/').pop(); return `${name} ${Math.round(sizes[name].bytes / 1024)} KiB (br ${Math.round(sizes[name].br / 1024)} KiB)`; });
  return `built ${kb.join(', ')}`;
}
