// /health (liveness) and /ready (every component's state and bound ports).
import type { FastifyInstance } from 'fastify';
import { isReady, type StatusSource } from '../../lifecycle/index.ts';

export function healthRoutes(app: FastifyInstance, sources: () => StatusSource[]): void {
  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/ready', { schema: { hide: true } }, async (_req, reply) => {
    const components: Record<string, unknown> = {};
    let ready = true;
    for (const source of sources()) {
      const status = source.status();
      components[source.name] = status;
      if (!isReady(status)) ready = false;
    }
    return reply.status(ready ? 200 : 503).send({ ready, components });
  });
}
