// Admin API: users, roles and role assignments (roles are data, not code).
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { Store } from '../../store/index.ts';
import type { Accounts, Roles } from '../../access/index.ts';
import type { AuditLog } from '../../audit/index.ts';
import { actorOf, type Auth } from '../auth.ts';
import { ForbiddenError, NotFoundError } from '../../core/index.ts';
import { IdParams } from './schemas.ts';
import { DisplayName, Login, NewPassword } from './form-fields.ts';
import { AssignmentView, RoleView, UserView, described } from './views.ts';

const UserBody = Type.Object({
  login: Login,
  displayName: DisplayName,
  email: Type.Optional(Type.Union([Type.String({ format: 'email', maxLength: 254 }), Type.Null()])),
  password: NewPassword,
}, { additionalProperties: false });
const AssignmentBody = Type.Object({
  roleId: Type.String({ minLength: 1, maxLength: 64 }),
  siteId: Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()]),
}, { additionalProperties: false });
const RoleBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 64 }),
  description: Type.String({ maxLength: 400 }),
  permissions: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 64 }),
}, { additionalProperties: false });
const PermissionsBody = Type.Object({ permissions: RoleBody.properties.permissions }, { additionalProperties: false });

export interface UserRouteDeps { auth: Auth; store: Store; accounts: Accounts; roles: Roles; audit: AuditLog }

export async function userRoutes(app: FastifyInstance, d: UserRouteDeps): Promise<void> {
  app.get('/api/users', {
    schema: {
      tags: ['users'], summary: 'List the users', description: 'Every account with its state (never a password). Deployment-wide user.admin; reading it is audited as data.read.',
      response: { 200: Type.Array(UserView, { description: 'The users' }) },
    },
    preHandler: d.auth.requires('user.admin'),
  }, async () => d.accounts.list());

  app.post<{ Body: Static<typeof UserBody> }>('/api/users', {
    schema: {
      tags: ['users'], summary: 'Create a user', body: UserBody,
      description: 'A local account (password at least 12 characters); roles are assigned separately. Audited (user.create). Deployment-wide user.admin.',
      response: { 201: described('The new user', UserView) },
    },
    preHandler: d.auth.requires('user.admin'),
  }, async (req, reply) => {
    const id = await d.store.transaction(async (tx) => {
      const userId = await d.accounts.create(tx, req.body);
      await d.audit.append({ actor: actorOf(req.principal!), action: 'user.create', target: { type: 'user', id: userId }, outcome: 'ok' }, tx);
      return userId;
    });
    return reply.status(201).send(await d.accounts.get(id));
  });

  app.get<{ Params: Static<typeof IdParams> }>('/api/users/:id/roles', {
    schema: {
      tags: ['users'], summary: "A user's role assignments", params: IdParams, description: 'Each role with its site (null: every site). Deployment-wide user.admin.',
      response: { 200: Type.Array(AssignmentView, { description: 'The assignments' }) },
    },
    preHandler: d.auth.requires('user.admin'),
  }, async (req) => d.roles.assignments({ type: 'user', id: req.params.id }));

  for (const method of ['POST', 'DELETE'] as const) {
    app.route<{ Params: Static<typeof IdParams>; Body: Static<typeof AssignmentBody> }>({
      method, url: '/api/users/:id/roles',
      schema: {
        tags: ['users'], summary: method === 'POST' ? 'Assign a role to a user' : "Remove a user's role assignment", params: IdParams, body: AssignmentBody,
        description: `Only roles whose permissions you hold on that scope. Audited (role.${method === 'POST' ? 'assign' : 'unassign'}). Deployment-wide user.admin.`,
        response: { 200: Type.Array(AssignmentView, { description: "The user's assignments now" }) },
      },
      preHandler: d.auth.requires('user.admin'),
      handler: async (req) => {
        const principal = { type: 'user' as const, id: req.params.id };
        if (!(await d.accounts.get(req.params.id))) throw new NotFoundError(`user ${req.params.id} not found`, { reason: 'user.not-found' });
        const lacking = await d.roles.lacking(req.principal!, req.body.roleId, req.body.siteId);
        if (lacking.length > 0) {
          throw new ForbiddenError(`you may only ${method === 'POST' ? 'assign' : 'remove'} roles whose permissions you hold on that scope; you lack ${lacking.join(', ')}`,
            { reason: 'role.assign-lacking', params: { permissions: lacking.join(', ') } });
        }
        await d.store.transaction(async (tx) => {
          if (method === 'POST') await d.roles.assign(tx, principal, req.body.roleId, req.body.siteId);
          else await d.roles.unassign(tx, principal, req.body.roleId, req.body.siteId);
          await d.audit.append({
            actor: actorOf(req.principal!), action: method === 'POST' ? 'role.assign' : 'role.unassign',
            target: { type: 'user', id: req.params.id }, outcome: 'ok', siteId: req.body.siteId, details: { roleId: req.body.roleId },
          }, tx);
        });
        return d.roles.assignments(principal);
      },
    });
  }

  app.get('/api/roles', {
    schema: {
      tags: ['roles'], summary: 'List the roles with their permissions', description: 'Seeded roles (admin, reception, host) and those added. Deployment-wide user.admin.',
      response: { 200: Type.Array(RoleView, { description: 'The roles' }) },
    },
    preHandler: d.auth.requires('user.admin'),
  }, async () => d.roles.list());

  app.post<{ Body: Static<typeof RoleBody> }>('/api/roles', {
    schema: {
      tags: ['roles'], summary: 'Create a role', body: RoleBody,
      description: 'With permissions you hold yourself. Audited (role.create). Deployment-wide role.admin.', response: { 201: described('The new role', RoleView) },
    },
    preHandler: d.auth.requires('role.admin'),
  }, async (req, reply) => {
    const id = await d.store.transaction(async (tx) => {
      const roleId = await d.roles.create(tx, req.principal!, req.body);
      await d.audit.append({ actor: actorOf(req.principal!), action: 'role.create', target: { type: 'role', id: roleId }, outcome: 'ok' }, tx);
      return roleId;
    });
    return reply.status(201).send((await d.roles.list()).find((r) => r.id === id));
  });

  app.put<{ Params: Static<typeof IdParams>; Body: Static<typeof PermissionsBody> }>('/api/roles/:id/permissions', {
    schema: {
      tags: ['roles'], summary: "Replace a role's permissions", params: IdParams, body: PermissionsBody,
      description: 'With permissions you hold yourself. Audited (role.update). Deployment-wide role.admin.', response: { 200: described('The role as stored', RoleView) },
    },
    preHandler: d.auth.requires('role.admin'),
  }, async (req) => {
    await d.store.transaction(async (tx) => {
      await d.roles.update(tx, req.principal!, req.params.id, req.body.permissions);
      await d.audit.append({ actor: actorOf(req.principal!), action: 'role.update', target: { type: 'role', id: req.params.id }, outcome: 'ok', details: { permissions: req.body.permissions } }, tx);
    });
    return (await d.roles.list()).find((r) => r.id === req.params.id);
  });
}
