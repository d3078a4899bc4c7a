// Page weight: the bytes a browser downloads for each page (its HTML shell, style
// sheet and bundle from web/dist, built by setup) without compression, with gzip
// and with brotli, and the OpenAPI document (the largest JSON answer) — as the
// gateway sends them over the wire. Sizes only, no timing.
// Usage: node scripts/run.mjs node bench/page-weight.ts
import { request } from 'node:http';
import { startGateway } from '../test/support/gateway.ts';
import { print } from './lib.ts';

const ENCODINGS = { identity: 'identity', gzip: 'gzip, deflate', br: 'gzip, deflate, br' } as const;
type Sizes = Record<keyof typeof ENCODINGS, number>;

/** The body's size on the wire (not decompressed) and the encoding the gateway chose. */
function wireBytes(base: string, path: string, acceptEncoding: string): Promise<{ bytes: number; encoding: string }> {
  return new Promise((resolve, reject) => {
    request(`${base}${path}`, { headers: { 'accept-encoding': acceptEncoding } }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => { bytes += c.length; });
      res.on('end', () => res.statusCode === 200 ? resolve({ bytes, encoding: String(res.headers['content-encoding'] ?? 'identity') }) : reject(new Error(`${path}: ${res.statusCode}`)));
      res.on('error', reject);
    }).on('error', reject).end();
  });
}

async function sizesOf(base: string, path: string): Promise<Sizes> {
  const out = {} as Sizes;
  for (const [name, header] of Object.entries(ENCODINGS) as Array<[keyof Sizes, string]>) {
    // A body under a kilobyte (the HTML shells) is sent as it is whatever was asked: its identity size counts.
    out[name] = (await wireBytes(base, path, header)).bytes;
  }
  return out;
}

const gw = await startGateway();
try {
  const pages: Record<string, { files: Record<string, Sizes>; total: Sizes; ratioBr: number }> = {};
  for (const page of ['terminal', 'desk', 'admin']) {
    const files: Record<string, Sizes> = {};
    for (const path of [`/${page}`, '/assets/portier.css', `/assets/${page}.js`]) files[path] = await sizesOf(gw.base, path);
    const total = Object.values(files).reduce((sum, s) => ({ identity: sum.identity + s.identity, gzip: sum.gzip + s.gzip, br: sum.br + s.br }), { identity: 0, gzip: 0, br: 0 });
    pages[page] = { files, total, ratioBr: Number((total.br / total.identity).toFixed(3)) };
  }
  print({ bench: 'page-weight', unit: 'bytes on the wire', pages, openapi: await sizesOf(gw.base, '/openapi.json') });
} finally {
  await gw.close();
}
