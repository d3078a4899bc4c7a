// /metrics in the Prometheus text format: open on the localhost HTTP listener,
// on HTTPS only with an admin session or API token holding report.read.
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Auth } from '../auth.ts';

export interface MetricsDeps {
  auth: Auth;
  /** The exposition text (src/quality's QualityMetrics). */
  render: () => string;
}

export function metricsRoutes(app: FastifyInstance, d: MetricsDeps): void {
  const guard = d.auth.requires('report.read');
  app.get('/metrics', {
    schema: { hide: true },
    preHandler: async function (req: FastifyRequest, reply) {
      if ((req.raw.socket as TLSSocket).encrypted) await guard.call(this, req, reply);
    },
  }, async (_req, reply) => {
    reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8').header('cache-control', 'no-store');
    return d.render();
  });
}
