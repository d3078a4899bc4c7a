// /health (liveness) and /ready. Anyone gets the ready flag (200/503); on the
// localhost HTTP listener also each component's state and the bound ports
// (benchmarks and scripts need them); worker pids, counters and the rest only
// an admin session or API token with report.read deployment-wide gets.
import type { FastifyInstance } from 'fastify';
import { isServing, type ComponentStatus, type StatusSource } from '../../lifecycle/index.ts';
import type { Auth } from '../auth.ts';
import { isLocalDirect } from '../local-request.ts';

export interface HealthDeps {
  sources: () => StatusSource[];
  /** The ports every listener is bound to (HTTP, HTTPS, MQTT, each media worker's). */
  ports: () => Record<string, unknown>;
  auth: Auth;
}

export async function healthRoutes(app: FastifyInstance, d: HealthDeps): Promise<void> {
  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/ready', { schema: { hide: true } }, async (req, reply) => {
    const statuses: Array<[string, ComponentStatus]> = d.sources().map((s) => [s.name, s.status()]);
    const ready = statuses.every(([, status]) => isServing(status));
    reply.status(ready ? 200 : 503).header('cache-control', 'no-store');
    if (await d.auth.allows(req, 'report.read')) return { ready, components: Object.fromEntries(statuses), ports: d.ports() };
    if (!isLocalDirect(req)) return { ready };
    return { ready, components: Object.fromEntries(statuses.map(([name, s]) => [name, { state: s.state }])), ports: d.ports() };
  });
}
