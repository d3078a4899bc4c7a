// Admin API: the phone book of a site (create, update, delete, CSV import) and
// the live list of running calls and the reception queue.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { PhoneBook } from '../../phonebook/index.ts';
import { importCsv, type ImportLookups } from '../../phonebook/index.ts';
import type { CallService } from '../../calls/index.ts';
import { actorOf, type Auth } from '../auth.ts';
import { IdParams, SiteParams } from './schemas.ts';

const RouteSchema = Type.Union([
  Type.Object({ type: Type.Literal('desk-user'), userId: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('desk-group'), roleId: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
]);
const EntryBody = Type.Object({
  kind: Type.Union([Type.Literal('person'), Type.Literal('department'), Type.Literal('reception')]),
  name: Type.String({ minLength: 1, maxLength: 200 }),
  department: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
  routes: Type.Array(RouteSchema, { minItems: 1, maxItems: 10 }),
  policy: Type.Optional(Type.Object({
    legTimeoutS: Type.Optional(Type.Integer({ minimum: 5, maximum: 120 })),
    capS: Type.Optional(Type.Integer({ minimum: 10, maximum: 600 })),
  }, { additionalProperties: false })),
}, { additionalProperties: false });
const ImportBody = Type.Object({ csv: Type.String({ maxLength: 5_000_000 }), skipInvalid: Type.Optional(Type.Boolean()) }, { additionalProperties: false });

export interface PhoneBookRouteDeps { auth: Auth; phonebook: PhoneBook; lookups: ImportLookups; calls: CallService }

export function phonebookRoutes(app: FastifyInstance, d: PhoneBookRouteDeps): void {
  const site = (req: { params: unknown }) => (req.params as { siteId: string }).siteId;
  const entrySite = (req: { params: unknown }) => d.phonebook.get((req.params as { id: string }).id).siteId;

  app.get<{ Params: Static<typeof SiteParams> }>('/api/sites/:siteId/phonebook', {
    schema: { tags: ['phonebook'], params: SiteParams }, preHandler: d.auth.requires('call.answer', site),
  }, async (req) => d.phonebook.list(req.params.siteId));

  app.post<{ Params: Static<typeof SiteParams>; Body: Static<typeof EntryBody> }>('/api/sites/:siteId/phonebook', {
    schema: { tags: ['phonebook'], params: SiteParams, body: EntryBody }, preHandler: d.auth.requires('phonebook.write', site),
  }, async (req, reply) => {
    const [entry] = await d.phonebook.upsertMany(actorOf(req.principal!), [{ ...req.body, department: req.body.department ?? null, siteId: req.params.siteId }]);
    return reply.status(201).send(entry);
  });

  app.put<{ Params: Static<typeof IdParams>; Body: Static<typeof EntryBody> }>('/api/phonebook/:id', {
    schema: { tags: ['phonebook'], params: IdParams, body: EntryBody }, preHandler: d.auth.requires('phonebook.write', entrySite),
  }, async (req) => {
    const current = d.phonebook.get(req.params.id);
    const [entry] = await d.phonebook.upsertMany(actorOf(req.principal!), [{ ...req.body, department: req.body.department ?? null, siteId: current.siteId, id: current.id }]);
    return entry;
  });

  app.delete<{ Params: Static<typeof IdParams> }>('/api/phonebook/:id', {
    schema: { tags: ['phonebook'], params: IdParams }, preHandler: d.auth.requires('phonebook.write', entrySite),
  }, async (req, reply) => {
    await d.phonebook.remove(actorOf(req.principal!), req.params.id);
    return reply.status(204).send();
  });

  app.post<{ Params: Static<typeof SiteParams>; Body: Static<typeof ImportBody> }>('/api/sites/:siteId/phonebook/import', {
    schema: { tags: ['phonebook'], params: SiteParams, body: ImportBody }, preHandler: d.auth.requires('phonebook.write', site),
    bodyLimit: 6 * 1024 * 1024,
  }, async (req, reply) => {
    const result = await importCsv(d.phonebook, d.lookups, actorOf(req.principal!), req.params.siteId, req.body.csv, req.body.skipInvalid ?? false);
    return reply.status(result.errors.length && result.imported === 0 ? 400 : 200).send(result);
  });

  app.get<{ Params: Static<typeof SiteParams> }>('/api/sites/:siteId/calls', {
    schema: { tags: ['calls'], params: SiteParams }, preHandler: d.auth.requires('call.answer', site),
  }, async (req) => ({
    active: d.calls.activeCalls.filter((c) => c.siteId === req.params.siteId).map((c) => c.info()),
    queue: d.calls.queued(req.params.siteId).map((c) => c.id),
  }));
}
