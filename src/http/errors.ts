// Maps named errors to HTTP responses in one place: { error: code, message }.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { PortierError, type ErrorCode } from '../core/index.ts';

const STATUS: Record<ErrorCode, number> = {
  invalid: 400, unauthenticated: 401, forbidden: 403, 'not-found': 404, conflict: 409,
  busy: 409, locked: 423, 'rate-limited': 429, timeout: 504, unavailable: 503, closed: 409,
};

export function errorHandler(error: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof PortierError) {
    // The code only: messages can name people (a taken login, …).
    req.log.info({ code: error.code, route: req.routeOptions.url }, 'request refused');
    const retryAfter = (error as { retryAfterSeconds?: number }).retryAfterSeconds;
    if (retryAfter !== undefined) void reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfter))));
    void reply.status(STATUS[error.code]).send({ error: error.code, message: error.message });
    return;
  }
  const fe = error as FastifyError;
  if (fe.validation || fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
      || (fe.statusCode === 400) || fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    req.log.info({ code: 'invalid', route: req.routeOptions.url, reason: fe.message }, 'invalid request');
    void reply.status(fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500 ? fe.statusCode : 400)
      .send({ error: 'invalid', message: fe.message });
    return;
  }
  req.log.error({ err: error }, 'request failed');
  void reply.status(500).send({ error: 'internal', message: 'internal error' });
}
