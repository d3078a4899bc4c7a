// /metrics in the Prometheus text format: open to requests straight from this machine
// on the localhost HTTP listener, else only with an admin session or API token holding report.read.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Auth } from '../auth.ts';
import { isLocalDirect } from '../local-request.ts';

export interface MetricsDeps {
  auth: Auth;
  /** The exposition text (src/quality's QualityMetrics and the components' metrics; the workers' are asked, so it may wait). */
  render: () => string | Promise<string>;
}

export function metricsRoutes(app: FastifyInstance, d: MetricsDeps): void {
  const guard = d.auth.requires('report.read');
  app.get('/metrics', {
    schema: { hide: true },
    preHandler: async function (req: FastifyRequest, reply) {
      if (!isLocalDirect(req)) await guard.call(this, req, reply);
    },
  }, async (_req, reply) => {
    reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8').header('cache-control', 'no-store');
    return d.render();
  });
}
