// The storage quota over HTTP: GET /api/storage (report.read) shows the usage, and
// the routes whose writes grow the data are refused 507 insufficient-storage once
// the quota is used up (after their own authentication: a stranger learns nothing).
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, RouteOptions, preHandlerAsyncHookHandler } from 'fastify';
import type { Auth } from '../auth.ts';
import type { StorageQuota } from '../../storage/index.ts';

/** Method and route pattern of every write that adds records or uploads (deletes, sign-ins and door commands stay allowed). */
export const GROWING_WRITES = new Set([
  'POST /api/sites', 'POST /api/sites/:siteId/doors', 'POST /api/sites/:siteId/phonebook', 'POST /api/sites/:siteId/phonebook/import',
  'PUT /api/sites/:siteId/welcome', 'PUT /api/sites/:siteId/welcome/logo', 'PUT /api/phonebook/:id/photo', 'POST /api/users', 'POST /api/roles', 'POST /api/devices', 'POST /api/cards', 'POST /api/terminals', 'POST /api/sites/:siteId/door-stations',
  'POST /api/tokens', 'POST /api/sip-accounts', 'POST /api/users/:id/roles', 'POST /api/sla/planned', 'POST /api/sla/excuses', 'PUT /api/rules',
]);

/** Writes that change or remove data, sign in, or keep the building working (door commands): allowed at a full quota. */
export const NOT_GROWING_WRITES = new Set<string>([
  'POST /api/auth/login', 'POST /api/auth/logout', 'POST /api/first-run', 'POST /api/auth/saml/acs',
  'PUT /api/sites/:siteId/opening-hours', 'PUT /api/phonebook/:id', 'PUT /api/roles/:id/permissions',
  'PATCH /api/sites/:siteId', 'PATCH /api/sites/:siteId/doors/:doorId', 'POST /api/terminals/:id/reload',
  'POST /api/privacy/subjects/:kind/:id/erase', 'POST /api/credentials/:id/rotate', 'POST /api/credentials/:id/revoke',
  'POST /api/devices/:id/rotate', 'POST /api/devices/:id/revoke', 'POST /api/rules/reload', 'POST /api/rules/dry-run',
  // Editing what exists (a terminal, a device, a card) or removing it.
  'PATCH /api/terminals/:id', 'PATCH /api/devices/:id', 'PATCH /api/cards/:id', 'PATCH /api/door-stations/:id', 'POST /api/door-stations/:id/secret', 'PATCH /api/sip-accounts/:id',
  // Re-pairing an existing terminal and opening doors keep the building working.
  'POST /api/terminals/:id/pairing-code', 'POST /api/terminal/pair', 'POST /api/doors/:id/unlock',
]);

/** Adds the quota check to every growing write registered after it (call on the root instance before the routes). */
export function guardGrowingWrites(app: FastifyInstance, quota: StorageQuota): void {
  const check: preHandlerAsyncHookHandler = async () => quota.assertRoom();
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.some((m) => GROWING_WRITES.has(`${m} ${route.url}`))) return;
    const own = route.preHandler === undefined ? [] : Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler];
    route.preHandler = [...own, check];
  });
}

export async function storageRoutes(app: FastifyInstance, d: { auth: Auth; quota: StorageQuota }): Promise<void> {
  app.get('/api/storage', {
    schema: {
      tags: ['storage'], summary: "The data directory's use against its quota",
      description: 'Bytes used by the store and its files, the quota (storage.*), the level (ok, warn, critical, full: writes that grow the data are refused with 507). Deployment-wide report.read.',
      response: {
        200: Type.Object({
          usedBytes: Type.Integer(), quotaBytes: Type.Integer(), percent: Type.Number(), level: Type.String(),
          files: Type.Record(Type.String(), Type.Integer(), { description: 'bytes per file' }),
        }, { description: 'The use now', additionalProperties: true }),
      },
    },
    preHandler: d.auth.requires('report.read'),
  }, async (_req, reply) => {
    reply.header('cache-control', 'no-store');
    const u = d.quota.measure();
    return { usedBytes: u.usedBytes, quotaBytes: u.quotaBytes, percent: u.percent, level: u.level, files: u.files };
  });
}
