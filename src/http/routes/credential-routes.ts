// Admin API: integration API tokens, rotation and revocation of any credential,
// and the audit log.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { Store } from '../../store/index.ts';
import type { Roles, Permission } from '../../access/index.ts';
import type { Credentials } from '../../credentials/index.ts';
import type { AuditLog } from '../../audit/index.ts';
import { ForbiddenError, NotFoundError } from '../../core/index.ts';
import { actorOf, type Auth } from '../auth.ts';
import { IdParams } from './schemas.ts';

const TokenBody = Type.Object({
  label: Type.String({ minLength: 1, maxLength: 200 }),
  roleId: Type.String({ minLength: 1, maxLength: 64 }),
  siteId: Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()]),
}, { additionalProperties: false });
const AuditQuery = Type.Object({
  since: Type.Optional(Type.Integer({ minimum: 0 })),
  until: Type.Optional(Type.Integer({ minimum: 0 })),
  action: Type.Optional(Type.String({ maxLength: 64 })),
  correlationId: Type.Optional(Type.String({ maxLength: 64 })),
  actorId: Type.Optional(Type.String({ maxLength: 64 })),
  beforeSeq: Type.Optional(Type.Integer({ minimum: 1 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
}, { additionalProperties: false });

const ADMIN_PERMISSION: Record<string, Permission> = {
  'api-token': 'token.admin', terminal: 'terminal.admin', device: 'device.admin',
};

export interface CredentialRouteDeps { auth: Auth; store: Store; roles: Roles; credentials: Credentials; audit: AuditLog }

export async function credentialRoutes(app: FastifyInstance, d: CredentialRouteDeps): Promise<void> {
  app.get('/api/tokens', { schema: { tags: ['credentials'] }, preHandler: d.auth.requires('token.admin') },
    async () => d.credentials.list('api-token'));

  app.post<{ Body: Static<typeof TokenBody> }>('/api/tokens', {
    schema: { tags: ['credentials'], body: TokenBody }, preHandler: d.auth.requires('token.admin'),
  }, async (req, reply) => {
    // Checked before issuing, so the token is never left without its role.
    if (!(await d.roles.covers(req.principal!, req.body.roleId, req.body.siteId))) {
      throw new ForbiddenError('a token may only get a role whose permissions you hold on that scope');
    }
    const issued = await d.credentials.issue(actorOf(req.principal!), { kind: 'api-token', label: req.body.label, siteId: req.body.siteId });
    await d.store.transaction((tx) => d.roles.assign(tx, { type: 'credential', id: issued.credential.id }, req.body.roleId, req.body.siteId));
    return reply.status(201).send(issued);
  });

  // Rotation and revocation need the admin permission of the credential's kind, on its site.
  const mayAdminister = d.auth.requires(async (req) => {
    const id = (req.params as Static<typeof IdParams>).id;
    const credential = await d.credentials.get(id);
    // The probe's credential is the gateway's own: no admin rotates or revokes it.
    if (!credential || credential.kind === 'probe') throw new NotFoundError(`credential ${id} not found`);
    return { permission: ADMIN_PERMISSION[credential.kind]!, site: credential.siteId ?? undefined };
  });

  app.post<{ Params: Static<typeof IdParams> }>('/api/credentials/:id/rotate', {
    schema: { tags: ['credentials'], params: IdParams }, preHandler: mayAdminister,
  }, async (req) => d.credentials.rotate(actorOf(req.principal!), req.params.id));

  app.post<{ Params: Static<typeof IdParams> }>('/api/credentials/:id/revoke', {
    schema: { tags: ['credentials'], params: IdParams }, preHandler: mayAdminister,
  }, async (req) => d.credentials.revoke(actorOf(req.principal!), req.params.id));

  app.get<{ Querystring: Static<typeof AuditQuery> }>('/api/audit', {
    schema: { tags: ['audit'], querystring: AuditQuery }, preHandler: d.auth.requires('audit.read'),
  // Reading the audit log is itself an access worth recording: audited as data.read (src/http/read-audit-hook.ts).
  }, async (req) => d.audit.list(req.query));
}
