// Admin API: sites and doors.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { Sites } from '../../sites/index.ts';
import { actorOf, type Auth } from '../auth.ts';
import { SiteParams } from './schemas.ts';

const SiteBody = Type.Object({
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
  name: Type.String({ minLength: 1, maxLength: 200 }),
  timeZone: Type.String({ minLength: 1, maxLength: 64 }),
}, { additionalProperties: false });
const DoorBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });

export async function siteRoutes(app: FastifyInstance, d: { auth: Auth; sites: Sites }): Promise<void> {
  app.get('/api/sites', { schema: { tags: ['sites'] }, preHandler: d.auth.authenticated() }, async () => d.sites.list());

  app.post<{ Body: Static<typeof SiteBody> }>('/api/sites', {
    schema: { tags: ['sites'], body: SiteBody }, preHandler: d.auth.requires('site.admin'),
  }, async (req, reply) => reply.status(201).send(await d.sites.create(actorOf(req.principal!), req.body)));

  app.get<{ Params: Static<typeof SiteParams> }>('/api/sites/:siteId/doors', {
    schema: { tags: ['sites'], params: SiteParams }, preHandler: d.auth.requires('door.unlock', (req) => (req.params as { siteId: string }).siteId),
  }, async (req) => {
    await d.sites.get(req.params.siteId);
    return d.sites.doors(req.params.siteId);
  });

  app.post<{ Params: Static<typeof SiteParams>; Body: Static<typeof DoorBody> }>('/api/sites/:siteId/doors', {
    schema: { tags: ['sites'], params: SiteParams, body: DoorBody },
    preHandler: d.auth.requires('site.admin', (req) => (req.params as { siteId: string }).siteId),
  }, async (req, reply) => reply.status(201).send(await d.sites.createDoor(actorOf(req.principal!), req.params.siteId, req.body.name)));
}
