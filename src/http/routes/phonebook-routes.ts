// Admin API: the phone book of a site (create, update, delete, CSV import) and
// the live list of running calls and the reception queue.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { PhoneBook } from '../../phonebook/index.ts';
import { decodeCsv, importCsv, type CsvEncoding, type ImportLookups } from '../../phonebook/index.ts';
import type { CallService } from '../../calls/index.ts';
import { InvalidError } from '../../core/index.ts';
import { actorOf, type Auth } from '../auth.ts';
import { ErrorBody, IdParams, SiteParams } from './schemas.ts';
import { CapS, EntryDepartment, EntryName, LegTimeoutS, SipRouteUser } from './form-fields.ts';
import { CallInfoView, NoContent, PhoneBookEntryView, described, open } from './views.ts';

const RouteSchema = Type.Union([
  Type.Object({ type: Type.Literal('desk-user'), userId: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('desk-group'), roleId: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
  // A telephone through the SIP bridge: an extension or number at a configured account's PBX (checked at save).
  Type.Object({ type: Type.Literal('sip'), accountId: Type.String({ minLength: 1, maxLength: 64 }), user: SipRouteUser }, { additionalProperties: false }),
]);
const EntryBody = Type.Object({
  kind: Type.Union([Type.Literal('person'), Type.Literal('department'), Type.Literal('reception')]),
  name: EntryName,
  department: Type.Optional(Type.Union([EntryDepartment, Type.Null()])),
  routes: Type.Array(RouteSchema, { minItems: 1, maxItems: 10 }),
  policy: Type.Optional(Type.Object({
    legTimeoutS: Type.Optional(LegTimeoutS),
    capS: Type.Optional(CapS),
  }, { additionalProperties: false })),
}, { additionalProperties: false });
/** The largest import, as JSON text or as a file's bytes (the limit the JSON form always had). */
const IMPORT_MAX = 5_000_000;
const ImportBody = Type.Object({ csv: Type.String({ maxLength: IMPORT_MAX }), skipInvalid: Type.Optional(Type.Boolean()) }, { additionalProperties: false });
const ImportQuery = Type.Object({ skipInvalid: Type.Optional(Type.Boolean()) }, { additionalProperties: false });
const ImportRowError = Type.Object({
  line: Type.Integer(), field: Type.String(),
  reason: Type.String({ description: 'key for the pages\' texts: no-name-column, unknown-columns, kind, name-empty, name-too-long, unknown-user, unknown-group, no-route, leg-timeout, invalid-entry' }),
  params: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()])),
  message: Type.String({ description: 'the same in English' }),
});
const ImportResult = Type.Object({
  imported: Type.Integer(), skipped: Type.Integer(), errors: Type.Array(ImportRowError),
  encoding: Type.Union([Type.Literal('utf-8'), Type.Literal('utf-16le'), Type.Literal('utf-16be'), Type.Literal('windows-1252')], { description: 'how the file was read' }),
  error: Type.Optional(Type.Literal('invalid')), message: Type.Optional(Type.String()),
});

/**
 * A configured SIP account as a phone-book route may name it and the admin page shows it:
 * its id, registrar, transport and registration state — never its credentials.
 */
export interface SipAccountChoice {
  id: string; state: string; registrar: string; transport: string; secure: boolean;
  /** sip.accounts[].srtp: off, offer or require. */
  srtp: 'off' | 'offer' | 'require';
  reason?: string; code?: number; phrase?: string;
  /** The server in use (the registrar or a secondary it failed over to), and every configured one in order. */
  server?: string; servers?: string[];
  /** The server in use is the first of `servers`. */
  onPrimary?: boolean;
}
/** What the route answers of an account: media 'srtp' only when every call is SRTP (srtp: require), else a call may be plain. */
const sipAccountView = (a: SipAccountChoice) => ({
  id: a.id, state: a.state, registrar: a.registrar, transport: a.transport, secure: a.secure,
  media: a.srtp === 'require' ? 'srtp' as const : 'rtp' as const, srtp: a.srtp,
  server: a.server ?? a.registrar, servers: a.servers ?? [a.registrar], onPrimary: a.onPrimary ?? (a.server ?? a.registrar) === a.registrar,
  ...(a.reason !== undefined ? { reason: a.reason } : {}), ...(a.code !== undefined ? { code: a.code } : {}), ...(a.phrase !== undefined ? { phrase: a.phrase } : {}),
});
const SipAccountView = open({
  id: Type.String(), state: Type.String({ description: 'registering, registered, failed or unregistered' }),
  registrar: Type.String({ description: 'the registrar (server) as configured, host[:port]' }),
  server: Type.String({ description: 'the server in use now: the registrar (a registrar domain: one of its SRV targets), or a secondary it failed over to (sip.accounts[].secondary_registrars)' }),
  servers: Type.Array(Type.String(), { description: 'the registrar (a registrar domain: its SRV targets by priority and weight) and its secondaries, in the order they are tried' }),
  onPrimary: Type.Boolean({ description: 'the server in use is the first of servers; false: the account failed over' }),
  transport: Type.String({ description: 'udp, tcp or tls' }),
  secure: Type.Boolean({ description: 'the signalling is encrypted and the server verified (TLS)' }),
  media: Type.Union([Type.Literal('srtp'), Type.Literal('rtp')], { description: 'the call media: srtp (every call encrypted, SDES keys over TLS) or rtp (a call may be plain)' }),
  srtp: Type.Union([Type.Literal('off'), Type.Literal('offer'), Type.Literal('require')], { description: 'sip.accounts[].srtp: off (plain RTP), offer (SRTP when the PBX takes it, else plain), require (SRTP only)' }),
  reason: Type.Optional(Type.String({ description: 'why it is not registered: rejected, timeout, transport, lost or tls' })),
  code: Type.Optional(Type.Integer({ description: "the registrar's status code when it refused" })),
  phrase: Type.Optional(Type.String({ description: "the registrar's reason phrase, or the TLS error" })),
});

export interface PhoneBookRouteDeps {
  auth: Auth; phonebook: PhoneBook; lookups: ImportLookups; calls: CallService;
  /** The SIP accounts of the configuration (sip.accounts), for the routes' account choice. */
  sipAccounts?: () => SipAccountChoice[];
}
const SiteQuery = Type.Object({ siteId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) }, { additionalProperties: false });

export async function phonebookRoutes(app: FastifyInstance, d: PhoneBookRouteDeps): Promise<void> {
  const site = (req: { params: unknown }) => (req.params as { siteId: string }).siteId;
  const entrySite = (req: { params: unknown }) => d.phonebook.get((req.params as { id: string }).id).siteId;

  app.get<{ Params: Static<typeof SiteParams> }>('/api/sites/:siteId/phonebook', {
    schema: {
      tags: ['phonebook'], summary: "A site's phone book", params: SiteParams,
      description: 'The entries a visitor can call, each with its routes (desk user, desk group, telephone) and routing policy. call.answer on the site.',
      response: { 200: Type.Array(PhoneBookEntryView, { description: 'The entries' }) },
    },
    preHandler: d.auth.requires('call.answer', site),
  }, async (req) => d.phonebook.list(req.params.siteId));

  app.post<{ Params: Static<typeof SiteParams>; Body: Static<typeof EntryBody> }>('/api/sites/:siteId/phonebook', {
    schema: {
      tags: ['phonebook'], summary: 'Add a phone-book entry', params: SiteParams, body: EntryBody,
      description: 'A person, department or reception with 1–10 routes tried in order. Audited (phonebook.write). phonebook.write on the site.',
      response: { 201: described('The new entry', PhoneBookEntryView) },
    },
    preHandler: d.auth.requires('phonebook.write', site),
  }, async (req, reply) => {
    const [entry] = await d.phonebook.upsertMany(actorOf(req.principal!), [{ ...req.body, department: req.body.department ?? null, siteId: req.params.siteId }]);
    return reply.status(201).send(entry);
  });

  // The accounts a 'sip' route may name (configured in the config file; their secrets stay there).
  app.get<{ Querystring: Static<typeof SiteQuery> }>('/api/sip/accounts', {
    schema: {
      tags: ['phonebook'], summary: 'The configured SIP accounts a phone-book route may ring through (registrar, transport, registration state; no credentials)', querystring: SiteQuery,
      description: 'phonebook.write on the site (deployment-wide without siteId). Accounts live in the configuration (sip.accounts); their credentials never leave the gateway.',
      response: { 200: described('Each account with its registrar, transport and registration state', Type.Array(SipAccountView)) },
    },
    preHandler: d.auth.requires('phonebook.write', (req) => (req.query as { siteId?: string }).siteId),
  }, async () => (d.sipAccounts?.() ?? []).map(sipAccountView));

  app.put<{ Params: Static<typeof IdParams>; Body: Static<typeof EntryBody> }>('/api/phonebook/:id', {
    schema: {
      tags: ['phonebook'], summary: 'Replace a phone-book entry', params: IdParams, body: EntryBody,
      description: 'Audited (phonebook.write). phonebook.write on its site.', response: { 200: described('The entry as stored', PhoneBookEntryView) },
    },
    preHandler: d.auth.requires('phonebook.write', entrySite),
  }, async (req) => {
    const current = d.phonebook.get(req.params.id);
    const [entry] = await d.phonebook.upsertMany(actorOf(req.principal!), [{ ...req.body, department: req.body.department ?? null, siteId: current.siteId, id: current.id }]);
    return entry;
  });

  app.delete<{ Params: Static<typeof IdParams> }>('/api/phonebook/:id', {
    schema: {
      tags: ['phonebook'], summary: 'Delete a phone-book entry', params: IdParams,
      description: 'Audited (phonebook.delete). 409 entry.in-use (params.stations: the names of the door stations, params.numbers: the inbound numbers as "number (account)"; \u2013 for none) while a SIP door station or an inbound number of an admin SIP account rings it. phonebook.write on its site.',
      response: { 204: NoContent('Deleted'), 409: ErrorBody },
    },
    preHandler: d.auth.requires('phonebook.write', entrySite),
  }, async (req, reply) => {
    await d.phonebook.remove(actorOf(req.principal!), req.params.id);
    return reply.status(204).send();
  });

  // A CSV file sent as it is: decoded here by its bytes (the browser's File.text() would read Latin-1 as broken UTF-8).
  app.addContentTypeParser('text/csv', { parseAs: 'buffer', bodyLimit: IMPORT_MAX }, (_req, body, done) => done(null, body));
  app.post<{ Params: Static<typeof SiteParams>; Querystring: Static<typeof ImportQuery>; Body: Static<typeof ImportBody> | Buffer }>('/api/sites/:siteId/phonebook/import', {
    schema: {
      tags: ['phonebook'], params: SiteParams, querystring: ImportQuery, summary: 'Import phone-book entries from CSV',
      description: 'Imports CSV: as `text/csv` (the file\'s bytes; UTF-8, UTF-16 with BOM or Windows-1252/Latin-1, detected; `?skipInvalid=true` to import the good rows) '
        + 'or as JSON `{ csv, skipInvalid? }` (already text). 400 when nothing was imported because of errors, each with line, field, reason and params.',
      // The text/csv bytes are checked by the import itself: their schema only documents them.
      body: { content: { 'application/json': { schema: ImportBody }, 'text/csv': { schema: { description: 'the CSV file\'s bytes as they are' } } } },
      response: { 200: described('What was imported, skipped and why', ImportResult), 400: Type.Union([ImportResult, ErrorBody]) },
    },
    preHandler: d.auth.requires('phonebook.write', site),
    bodyLimit: 6 * 1024 * 1024,
  }, async (req, reply) => {
    let csv: string;
    let encoding: CsvEncoding = 'utf-8';
    let skipInvalid = req.query.skipInvalid ?? false;
    if (Buffer.isBuffer(req.body)) ({ text: csv, encoding } = decodeCsv(req.body));
    else if (typeof req.body?.csv !== 'string') throw new InvalidError('send the file as text/csv, or JSON { csv, skipInvalid? }');
    else {
      csv = req.body.csv;
      skipInvalid = req.body.skipInvalid ?? skipInvalid;
    }
    const result = await importCsv(d.phonebook, d.lookups, actorOf(req.principal!), req.params.siteId, csv, skipInvalid);
    if (result.errors.length && result.imported === 0) {
      const first = result.errors[0]!;
      const message = `line ${first.line}, ${first.field}: ${first.message}${result.errors.length > 1 ? ` (and ${result.errors.length - 1} more)` : ''}`;
      return reply.status(400).send({ ...result, encoding, error: 'invalid', message });
    }
    return reply.status(200).send({ ...result, encoding });
  });

  app.get<{ Params: Static<typeof SiteParams> }>('/api/sites/:siteId/calls', {
    schema: {
      tags: ['calls'], summary: "A site's running calls and its reception queue", params: SiteParams,
      description: 'Each running call with its step, legs and participants; the queue as call ids in order. The admin page refetches it on admin.changed calls (docs/signaling.md). call.answer on the site.',
      response: { 200: Type.Object({ active: Type.Array(CallInfoView), queue: Type.Array(Type.String()) }, { description: 'The running calls and the queue' }) },
    },
    preHandler: d.auth.requires('call.answer', site),
  }, async (req) => ({
    active: d.calls.activeCalls.filter((c) => c.siteId === req.params.siteId).map((c) => c.info()),
    queue: d.calls.queued(req.params.siteId).map((c) => c.id),
  }));
}
