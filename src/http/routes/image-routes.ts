// What the image routes share (a site's kiosk logo, a phone-book entry's photo):
// the upload scope whose request body is the file itself, and the answer that
// sends a checked image so that it can never run as a page.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorHandler } from '../errors.ts';

/**
 * Registers `routes` in a scope of their own whose request body is the raw file,
 * whatever Content-Type it claims (the bytes decide); a body over a route's
 * bodyLimit is answered as `tooLarge()` (a named refusal with the limit).
 */
export async function imageUploads(app: FastifyInstance, tooLarge: () => Error, routes: (scope: FastifyInstance) => void): Promise<void> {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    scope.setErrorHandler((error, req, reply) =>
      errorHandler((error as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? tooLarge() : error as Error, req, reply));
    routes(scope);
  });
}

/** An upload's bytes (no body: none). */
export const uploaded = (body: unknown): Buffer => (Buffer.isBuffer(body) ? body : Buffer.alloc(0));

/** Sends an image as the type it was checked to be: sandboxed, never sniffed, cached privately and revalidated by `etag`. */
export function sendImage(req: FastifyRequest, reply: FastifyReply, image: { type: string; data: Buffer }, etag: string) {
  void reply.header('etag', etag).header('cache-control', 'private, no-cache')
    .header('content-security-policy', "default-src 'none'; sandbox").header('x-content-type-options', 'nosniff');
  if (req.headers['if-none-match'] === etag) return reply.status(304).send();
  return reply.type(image.type).send(image.data);
}
