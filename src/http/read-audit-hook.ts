// Every admin route that answers with personal data, and what it reads: the
// hook audits each successful answer through ReadAudit (one entry per actor,
// kind and subject per window) before the data leaves.
import type { FastifyInstance, FastifyRequest, onSendAsyncHookHandler, RouteOptions } from 'fastify';
import type { ReadAudit, ReadSubject } from '../audit/index.ts';
import { actorOf } from './auth.ts';

type Of = (req: FastifyRequest) => ReadSubject & { siteId?: string | null };
const param = (req: FastifyRequest, name: string): string => String((req.params as Record<string, unknown>)[name] ?? '');
const query = (req: FastifyRequest, name: string): string | undefined => {
  const v = (req.query as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
};
const site = (type: string): Of => (req) => ({ type, id: param(req, 'siteId'), siteId: param(req, 'siteId') });

/** `METHOD url` → what the route reads. Exports are audited by the privacy service itself, every time (privacy.export). */
export const PERSONAL_READS: ReadonlyMap<string, Of> = new Map<string, Of>([
  ['GET /api/users', () => ({ type: 'accounts', id: 'all' })],
  ['GET /api/users/:id/roles', (req) => ({ type: 'user', id: param(req, 'id') })],
  ['GET /api/cards', (req) => ({ type: 'cards', id: query(req, 'siteId') ?? 'all', siteId: query(req, 'siteId') ?? null })],
  ['GET /api/sites/:siteId/phonebook', site('phonebook')],
  ['GET /api/sites/:siteId/calls', site('call-records')],
  ['GET /api/sites/:siteId/calls/quality', site('call-quality')],
  ['GET /api/rules/:id/versions', (req) => ({ type: 'rule-versions', id: param(req, 'id') })],
  ['GET /api/audit', () => ({ type: 'audit-log', id: 'all' })],
]);

/** Adds the read audit to every route in PERSONAL_READS registered after it (call on the root instance before the routes). */
export function auditPersonalReads(app: FastifyInstance, reads: ReadAudit): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const of = methods.map((m) => PERSONAL_READS.get(`${m} ${route.url}`)).find((f) => f !== undefined);
    if (!of) return;
    const hook: onSendAsyncHookHandler = async (req, reply, payload) => {
      if (reply.statusCode >= 400 || !req.principal) return payload;
      const { siteId = null, ...subject } = of(req);
      await reads.record(actorOf(req.principal), subject, req.ip, siteId);
      return payload;
    };
    const own = route.onSend === undefined ? [] : Array.isArray(route.onSend) ? route.onSend : [route.onSend];
    route.onSend = [...own, hook];
  });
}
