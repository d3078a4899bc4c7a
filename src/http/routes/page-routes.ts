// The browser pages: /terminal, /desk and /admin (HTML shells around the bundles
// that setup builds into web/dist), and their assets.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../core/index.ts';

const PAGES = { terminal: 'Portier – Terminal', desk: 'Portier – Softphone', admin: 'Portier – Verwaltung / Administration' } as const;
const ASSET = /^(terminal|desk|admin)\.js(\.map)?$|^portier\.css$/;
const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', map: 'application/json', css: 'text/css; charset=utf-8' };

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
    let body: Buffer;
    try {
      body = await readFile(join(webDir, file));
    } catch {
      throw new NotFoundError(`asset ${file} is not built; run npm run setup`);
    }
    return reply.type(TYPES[file.split('.').pop()!] ?? 'application/octet-stream').header('cache-control', 'no-cache').send(body);
  });
}
