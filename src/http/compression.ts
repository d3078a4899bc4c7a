// HTTP compression of what the web front door answers: JSON, HTML and the other
// text it builds per request is compressed on the way out (brotli, else gzip, as
// the client's Accept-Encoding allows), the pages' bundles are sent as compressed
// at build time (src/http/routes/page-routes.ts). Images, audio, video and other
// already-compressed types are never compressed again, nor a body under
// MIN_COMPRESSED_BYTES (the framing costs more than it saves), nor a stream (an
// export, a download: sent as it is). Every compressible answer says
// `Vary: Accept-Encoding`, so no cache hands a compressed one to a client that did not ask.
import { promisify } from 'node:util';
import { brotliCompress, gzip, constants } from 'node:zlib';
import type { FastifyInstance, FastifyReply } from 'fastify';

export type Encoding = 'br' | 'gzip';

/** Smaller bodies go out as they are: a kilobyte fits a packet either way, and gzip's framing alone is ~20 bytes. */
export const MIN_COMPRESSED_BYTES = 1024;

const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);

/** Text-like types worth compressing; anything else (image/*, audio/*, video/*, zip, octet-stream …) is sent as it is. */
const COMPRESSIBLE = /^(text\/|application\/(json|javascript|xml|x-ndjson)\b|application\/[\w.+-]+\+(json|xml)\b|image\/svg\+xml\b)/i;

export function compressible(contentType: string | undefined): boolean {
  return contentType !== undefined && COMPRESSIBLE.test(contentType);
}

/**
 * The encoding to answer with for an Accept-Encoding header: br before gzip (smaller), each only if the client
 * accepts it with q > 0 (`*` stands for any not named); undefined: identity.
 */
export function negotiate(acceptEncoding: string | string[] | undefined): Encoding | undefined {
  const header = Array.isArray(acceptEncoding) ? acceptEncoding.join(',') : acceptEncoding;
  if (!header) return undefined;
  const q = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const weight = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    q.set(name, weight === undefined ? 1 : Number(weight));
  }
  const accepts = (name: Encoding) => (q.get(name) ?? (name === 'gzip' ? q.get('x-gzip') : undefined) ?? q.get('*') ?? 0) > 0;
  return (['br', 'gzip'] as const).find(accepts);
}

/** Compresses a body for sending: brotli at a quality cheap enough per request (4: smaller than gzip -6, about as fast). */
export function compress(body: Buffer, encoding: Encoding): Promise<Buffer> {
  return encoding === 'br'
    ? brotli(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 4, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } })
    : gzipped(body);
}

/** Adds Accept-Encoding to the answer's Vary header (once). */
export function varyOnEncoding(reply: FastifyReply): void {
  const vary = reply.getHeader('vary');
  const names = String(vary ?? '').split(',').map((v) => v.trim()).filter(Boolean);
  if (names.includes('*') || names.some((n) => n.toLowerCase() === 'accept-encoding')) return;
  void reply.header('vary', [...names, 'Accept-Encoding'].join(', '));
}

/**
 * A strong ETag names one representation: the compressed one gets its own (`"tag-br"`), so a cache never takes one
 * encoding's validator for the other's bytes. Weak tags stay as they are (equivalent content).
 */
export function etagFor(etag: string, encoding: Encoding | undefined): string {
  if (!encoding || etag.startsWith('W/') || !etag.endsWith('"')) return etag;
  return `${etag.slice(0, -1)}-${encoding}"`;
}

/** Compresses every text answer built per request (JSON, HTML, the OpenAPI document) as the client accepts. */
export function compression(app: FastifyInstance): void {
  app.addHook('onSend', async (req, reply, payload) => {
    if (!compressible(reply.getHeader('content-type') as string | undefined)) return payload;
    varyOnEncoding(reply);
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    if (reply.hasHeader('content-encoding') || req.method === 'HEAD' || reply.statusCode === 204 || reply.statusCode === 304) return payload;
    const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
    if (body.length < MIN_COMPRESSED_BYTES) return payload;
    const encoding = negotiate(req.headers['accept-encoding']);
    if (!encoding) return payload;
    const compressed = await compress(body, encoding);
    const etag = reply.getHeader('etag');
    if (typeof etag === 'string') void reply.header('etag', etagFor(etag, encoding));
    void reply.header('content-encoding', encoding);
    reply.removeHeader('content-length');
    return compressed;
  });
}
