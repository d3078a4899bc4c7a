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
import { AuditRowView, CredentialView, IssuedView, described } from './views.ts';

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
  app.get('/api/tokens', {
    schema: {
      tags: ['credentials'], summary: 'List the integration API tokens', description: 'Their labels, scope and state; never a secret. Deployment-wide token.admin.',
      response: { 200: Type.Array(CredentialView, { description: 'The tokens' }) },
    },
    preHandler: d.auth.requires('token.admin'),
  },
    async () => d.credentials.list('api-token'));

  app.post<{ Body: Static<typeof TokenBody> }>('/api/tokens', {
    schema: {
      tags: ['credentials'], summary: 'Create an integration API token (its secret is in the answer, once)', body: TokenBody,
      description: 'Used as Authorization: Bearer <secret> on the admin API (and as MQTT password for integrations); it gets the role on the site (null: every site), only one whose permissions you hold. Audited (credential.issue). Deployment-wide token.admin.',
      response: { 201: described('The token and its secret (shown once; only its hash is stored)', IssuedView) },
    },
    preHandler: d.auth.requires('token.admin'),
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
    schema: {
      tags: ['credentials'], summary: "Rotate a credential's secret", params: IdParams,
      description: 'An API token, terminal or device gets a new secret (shown once); the old one stops working and its sessions end. Audited (credential.rotate). The kind\'s admin permission (token.admin, terminal.admin, device.admin) on its site.',
      response: { 200: described('The credential and its new secret', IssuedView) },
    },
    preHandler: mayAdminister,
  }, async (req) => d.credentials.rotate(actorOf(req.principal!), req.params.id));

  app.post<{ Params: Static<typeof IdParams> }>('/api/credentials/:id/revoke', {
    schema: {
      tags: ['credentials'], summary: 'Revoke a credential', params: IdParams,
      description: 'An API token, terminal or device stops working at once (a terminal\'s call ends, a device is disconnected). Audited (credential.revoke). The kind\'s admin permission on its site.',
      response: { 200: described('The credential, revoked', CredentialView) },
    },
    preHandler: mayAdminister,
  }, async (req) => d.credentials.revoke(actorOf(req.principal!), req.params.id));

  app.get<{ Querystring: Static<typeof AuditQuery> }>('/api/audit', {
    schema: {
      tags: ['audit'], summary: 'Read the audit log', querystring: AuditQuery,
      description: 'Newest first, at most limit (100; up to 1000); page with beforeSeq = the last seq of the page before. Entries are hash-chained (portier audit verify). Deployment-wide audit.read.',
      response: { 200: Type.Array(AuditRowView, { description: 'The entries' }) },
    },
    preHandler: d.auth.requires('audit.read'),
  // Reading the audit log is itself an access worth recording: audited as data.read (src/http/read-audit-hook.ts).
  }, async (req) => d.audit.list(req.query));
}
