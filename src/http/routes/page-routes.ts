// The browser pages: /terminal, /desk and /admin (HTML shells around the bundles
// that setup builds into web/dist), and their assets — sent as compressed at build
// time (web/dist/*.br, *.gz, scripts/lib/build-web.mjs) where the client accepts it,
// each representation with its own ETag (revalidated: 304 while unchanged).
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../core/index.ts';
import { compress, etagFor, negotiate, varyOnEncoding, type Encoding } from '../compression.ts';

const PAGES = { terminal: 'Portier – Terminal', desk: 'Portier – Softphone', admin: 'Portier – Verwaltung / Administration' } as const;
const ASSET = /^(terminal|desk|admin)\.js(\.map)?$|^portier\.css$/;
const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', map: 'application/json', css: 'text/css; charset=utf-8' };
/** The file suffix of each encoding's precompressed twin. */
const SUFFIX: Record<Encoding, string> = { br: '.br', gzip: '.gz' };

/** An asset as sent: its bytes, their encoding (none: as built) and the built file's validator. */
interface AssetBody { body: Buffer; encoding: Encoding | undefined; etag: string }

/**
 * The asset in the encoding asked for: its precompressed twin when there and not older than it (a build writes both),
 * else compressed now (a bundle rebuilt without its twins).
 */
async function readAsset(webDir: string, file: string, wanted: Encoding | undefined): Promise<AssetBody> {
  const path = join(webDir, file);
  const built = await stat(path).catch(() => undefined);
  if (!built) throw new NotFoundError(`asset ${file} is not built; run npm run setup`);
  const etag = `"${built.size.toString(36)}-${Math.floor(built.mtimeMs).toString(36)}"`;
  if (wanted) {
    const twin = await stat(path + SUFFIX[wanted]).catch(() => undefined);
    if (twin && twin.mtimeMs >= built.mtimeMs) return { body: await readFile(path + SUFFIX[wanted]), encoding: wanted, etag };
  }
  const body = await readFile(path);
  return wanted ? { body: await compress(body, wanted), encoding: wanted, etag } : { body, encoding: undefined, etag };
}

const shell = (page: keyof typeof PAGES) => `<!doctype html>
<html lang="de"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${PAGES[page]}</title><link rel="stylesheet" href="/assets/portier.css"></head>
<body><div id="app"></div><noscript>JavaScript wird benötigt. / JavaScript is required.</noscript>
<script type="module" src="/assets/${page}.js"></script></body></html>`;

export async function pageRoutes(app: FastifyInstance, { webDir }: { webDir: string }): Promise<void> {
  for (const page of Object.keys(PAGES) as Array<keyof typeof PAGES>) {
    app.get(`/${page}`, { schema: { hide: true } }, async (_req, reply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').header('content-security-policy',
        "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; style-src 'self'; frame-ancestors 'none'")
        .send(shell(page)));
  }
  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/desk'));
  app.get<{ Params: { file: string } }>('/assets/:file', { schema: { hide: true } }, async (req, reply) => {
    const { file } = req.params;
    if (!ASSET.test(file)) throw new NotFoundError(`no asset ${file}`);
    const asset = await readAsset(webDir, file, negotiate(req.headers['accept-encoding']));
    const etag = etagFor(asset.etag, asset.encoding);
    void reply.type(TYPES[file.split('.').pop()!] ?? 'application/octet-stream').header('cache-control', 'no-cache').header('etag', etag);
    varyOnEncoding(reply);
    if (req.headers['if-none-match']?.split(',').some((tag) => tag.trim() === etag)) return reply.status(304).send();
    if (asset.encoding) void reply.header('content-encoding', asset.encoding);
    return reply.send(asset.body);
  });
}
