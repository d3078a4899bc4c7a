// Admin API for personal data (docs/privacy.md): the inventory, a person's
// export (JSON) and erasure — deployment-wide privacy.admin; every export and
// erasure is audited by the privacy service.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Privacy } from '../../privacy/index.ts';
import { actorOf, type Auth } from '../auth.ts';
import { Id } from './schemas.ts';

const SubjectParams = Type.Object({ kind: Type.String({ minLength: 1, maxLength: 32 }), id: Id });
type SubjectParams = Static<typeof SubjectParams>;

export interface PrivacyRouteDeps { auth: Auth; privacy: Privacy }

export async function privacyRoutes(app: FastifyInstance, d: PrivacyRouteDeps): Promise<void> {
  const admin = d.auth.requires('privacy.admin');

  app.get('/api/privacy/inventory', { schema: { tags: ['privacy'] }, preHandler: admin }, async () => ({ categories: d.privacy.inventory() }));

  app.get<{ Params: SubjectParams }>('/api/privacy/subjects/:kind/:id/export', {
    schema: { tags: ['privacy'], params: SubjectParams }, preHandler: admin,
  }, async (req, reply) => {
    const result = await d.privacy.export(Privacy.subject(req.params.kind, req.params.id), actorOf(req.principal!));
    // A download of personal data: never cached on the way.
    void reply.header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="personal-data-${req.params.kind}-${req.params.id.replace(/[^A-Za-z0-9._-]/g, '_')}.json"`);
    return result;
  });

  app.post<{ Params: SubjectParams }>('/api/privacy/subjects/:kind/:id/erase', {
    schema: { tags: ['privacy'], params: SubjectParams }, preHandler: admin,
  }, async (req) => ({ erased: await d.privacy.erase(Privacy.subject(req.params.kind, req.params.id), actorOf(req.principal!)) }));
}
