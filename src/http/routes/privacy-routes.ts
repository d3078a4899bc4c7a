// Admin API for personal data (docs/privacy.md): the inventory, a person's
// export (JSON) and erasure — deployment-wide privacy.admin; every export and
// erasure is audited by the privacy service.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Privacy } from '../../privacy/index.ts';
import { actorOf, type Auth } from '../auth.ts';
import { Id } from './schemas.ts';
import { open } from './views.ts';

const SubjectParams = Type.Object({ kind: Type.String({ minLength: 1, maxLength: 32 }), id: Id });
type SubjectParams = Static<typeof SubjectParams>;

export interface PrivacyRouteDeps { auth: Auth; privacy: Privacy }

export async function privacyRoutes(app: FastifyInstance, d: PrivacyRouteDeps): Promise<void> {
  const admin = d.auth.requires('privacy.admin');

  app.get('/api/privacy/inventory', {
    schema: {
      tags: ['privacy'], summary: 'What personal data Portier stores', description: 'Per category: its holder, where it lives, the identifying fields, purpose and retention (docs/privacy.md). Deployment-wide privacy.admin.',
      response: { 200: Type.Object({ categories: Type.Array(open({ holder: Type.String(), category: Type.String(), where: Type.String(), fields: Type.Array(Type.String()), purpose: Type.String() })) }, { description: 'The inventory' }) },
    },
    preHandler: admin,
  }, async () => ({ categories: d.privacy.inventory() }));

  app.get<{ Params: SubjectParams }>('/api/privacy/subjects/:kind/:id/export', {
    schema: {
      tags: ['privacy'], summary: "Export one person's data (JSON download)", params: SubjectParams,
      description: 'kind: user, card-holder … (docs/privacy.md); every holder\'s part by holder name. Audited (privacy.export). Deployment-wide privacy.admin.',
      response: { 200: open({ subject: open({ kind: Type.String(), id: Type.String() }), exportedAt: Type.String(), data: open({}, "each holder's part") }, 'The export') },
    },
    preHandler: admin,
  }, async (req, reply) => {
    const result = await d.privacy.export(Privacy.subject(req.params.kind, req.params.id), actorOf(req.principal!));
    // A download of personal data: never cached on the way.
    void reply.header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="personal-data-${req.params.kind}-${req.params.id.replace(/[^A-Za-z0-9._-]/g, '_')}.json"`);
    return result;
  });

  app.post<{ Params: SubjectParams }>('/api/privacy/subjects/:kind/:id/erase', {
    schema: {
      tags: ['privacy'], summary: "Erase one person's data", params: SubjectParams,
      description: 'Every holder erases or pseudonymises it; the counts say how much. Audited (privacy.erase). Deployment-wide privacy.admin.',
      response: { 200: Type.Object({ erased: Type.Record(Type.String(), Type.Record(Type.String(), Type.Number())) }, { description: 'Counts per holder and kind' }) },
    },
    preHandler: admin,
  }, async (req) => ({ erased: await d.privacy.erase(Privacy.subject(req.params.kind, req.params.id), actorOf(req.principal!)) }));
}
