// Maps named errors to HTTP responses in one place: { error: code, reason, params, message }
// (the pages translate `reason` with `params`; `message` is English for API clients).
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ajvReason, PortierError, type AjvError, type ErrorCode, type Reason } from '../core/index.ts';

const STATUS: Record<ErrorCode, number> = {
  invalid: 400, unauthenticated: 401, forbidden: 403, 'not-found': 404, conflict: 409,
  busy: 409, locked: 423, 'rate-limited': 429, timeout: 504, unavailable: 503, closed: 409,
  'insufficient-storage': 507,
};

export function errorHandler(error: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof PortierError) {
    // The code only: messages can name people (a taken login, …).
    req.log.info({ code: error.code, route: req.routeOptions.url }, 'request refused');
    const retryAfter = (error as { retryAfterSeconds?: number }).retryAfterSeconds;
    if (retryAfter !== undefined) void reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfter))));
    void reply.status(STATUS[error.code]).send({ error: error.code, reason: error.why.reason, params: error.why.params, message: error.message });
    return;
  }
  const fe = error as FastifyError;
  if (fe.validation || fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
      || (fe.statusCode === 400) || fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    req.log.info({ code: 'invalid', route: req.routeOptions.url, reason: fe.message }, 'invalid request');
    const why = requestReason(fe);
    void reply.status(fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500 ? fe.statusCode : 400)
      .send({ error: 'invalid', reason: why.reason, params: why.params ?? {}, message: fe.message });
    return;
  }
  req.log.error({ err: error }, 'request failed');
  void reply.status(500).send({ error: 'internal', reason: 'internal', params: {}, message: 'internal error' });
}

/** Why fastify refused a request before any route ran: the schema's first complaint, or the body's form. */
function requestReason(fe: FastifyError): Reason {
  const first = fe.validation?.[0] as AjvError | undefined;
  if (first) return ajvReason(first);
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return { reason: 'request.media-type' };
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { reason: 'request.too-large' };
  if (fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return { reason: 'request.empty-body' };
  if (fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fe instanceof SyntaxError) return { reason: 'request.not-json' };
  return { reason: 'invalid' };
}
