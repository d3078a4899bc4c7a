// Terminal enrolment: the admin creates terminals and pairing codes; a kiosk
// redeems a code once and receives its secret in an HttpOnly, Secure cookie.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { TerminalEnrolment, KioskHealth } from '../../terminals/index.ts';
import type { Credentials } from '../../credentials/index.ts';
import { LockedError, NotFoundError, RateLimitedError, UnauthenticatedError, TERMINAL_COOKIE, type Clock } from '../../core/index.ts';
import { actorOf, type Auth } from '../auth.ts';
import { ErrorBody, IdParams } from './schemas.ts';
import { TerminalName } from './form-fields.ts';
import { PairingView, TerminalListItem, TerminalRef, described, open } from './views.ts';

const CreateBody = Type.Object({
  name: TerminalName,
  siteId: Type.String({ minLength: 1, maxLength: 64 }),
  doorId: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
}, { additionalProperties: false });
/** At least one field; the door null: none. A door must be on the (new) site. */
const PatchBody = Type.Object({
  name: Type.Optional(CreateBody.properties.name),
  siteId: Type.Optional(CreateBody.properties.siteId),
  doorId: CreateBody.properties.doorId,
}, { additionalProperties: false, minProperties: 1 });
const PairBody = Type.Object({ code: Type.String({ minLength: 8, maxLength: 12, pattern: '^[0-9 -]+$' }) }, { additionalProperties: false });

const TEN_YEARS_S = 10 * 365 * 24 * 3600;
const MINUTE = 60_000;

/** Failed (or pending) pairings a minute: per client address, and on the whole gateway (many addresses guessing one code). */
export interface PairingLimits { perAddressPerMinute: number; perMinute: number }

export interface TerminalRouteDeps {
  auth: Auth; enrolment: TerminalEnrolment; credentials: Credentials; clock: Clock; pairing: PairingLimits;
  /** Each kiosk's health (listed with the terminals) and its remote reload. */
  kiosk: Pick<KioskHealth, 'get' | 'reload'>;
}

/** Drops the times older than a minute from the front of an oldest-first list. */
const trim = (times: number[], now: number): void => { while (times.length > 0 && times[0]! <= now - MINUTE) times.shift(); };

export async function terminalRoutes(app: FastifyInstance, d: TerminalRouteDeps): Promise<void> {
  const byAddress = new Map<string, number[]>();
  const everyone: number[] = [];

  app.get('/api/terminals', {
    schema: {
      tags: ['terminals'], summary: 'List the terminals with their health', description: 'Every terminal not revoked, with its kiosk health (online, problems, last report; docs/quality.md). Deployment-wide terminal.admin.',
      response: { 200: Type.Array(TerminalListItem, { description: 'The terminals' }) },
    },
    preHandler: d.auth.requires('terminal.admin'),
  }, async () => {
    const all = await d.credentials.list('terminal');
    return all.filter((t) => t.revokedAt === null).map((t) => {
      // null: not seen since the gateway started and created after it (never paired, say).
      const h = d.kiosk.get(t.id);
      const health = h ? { online: h.online, since: h.since, able: h.able, problems: h.problems, report: h.report } : null;
      return { id: t.id, name: t.label, siteId: t.siteId, doorId: t.doorId, createdAt: t.createdAt, health };
    });
  });

  // Reloads the kiosk's page remotely: terminal.admin on its site; audited; refused (unavailable, terminal.offline) when offline.
  app.post<{ Params: Static<typeof IdParams> }>('/api/terminals/:id/reload', {
    schema: {
      tags: ['terminals'], summary: "Reload a kiosk's page", params: IdParams,
      description: 'The kiosk gets terminal.reload and loads its page again; audited (terminal.reload); 503 (terminal.offline) when it is not connected. terminal.admin on its site.',
      response: { 202: Type.Object({ reloading: Type.Boolean() }, { description: 'The kiosk was told' }), 404: ErrorBody },
    },
    preHandler: d.auth.requires(async (req) => {
      const id = (req.params as Static<typeof IdParams>).id;
      const terminal = await d.credentials.get(id);
      if (!terminal || terminal.kind !== 'terminal' || terminal.revokedAt !== null) throw new NotFoundError(`terminal ${id} not found`, { reason: 'terminal.not-found', params: { id } });
      return { permission: 'terminal.admin', site: terminal.siteId ?? undefined };
    }),
  }, async (req, reply) => {
    await d.kiosk.reload(actorOf(req.principal!), req.params.id);
    return reply.status(202).send({ reloading: true });
  });

  // Renames or moves a terminal: terminal.admin on its site (and on the new one); a kiosk online reloads to take its new site or door.
  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof PatchBody> }>('/api/terminals/:id', {
    schema: {
      tags: ['terminals'], summary: "Rename a terminal or change its site or door", params: IdParams, body: PatchBody,
      description: 'Audited (terminal.update). A kiosk online reloads to take its new site or door. terminal.admin on its site (and on the new one).',
      response: { 200: open({ ...TerminalRef.properties, createdAt: Type.Integer() }, 'The terminal as stored') },
    },
    preHandler: d.auth.requires(async (req) => {
      const id = (req.params as Static<typeof IdParams>).id;
      const terminal = await d.credentials.get(id);
      if (!terminal || terminal.kind !== 'terminal' || terminal.revokedAt !== null) throw new NotFoundError(`terminal ${id} not found`, { reason: 'terminal.not-found', params: { id } });
      return { permission: 'terminal.admin', site: terminal.siteId ?? undefined };
    }),
  }, async (req) => {
    const before = await d.credentials.get(req.params.id);
    if (req.body.siteId !== undefined && req.body.siteId !== before?.siteId) await d.auth.demand(req, 'terminal.admin', req.body.siteId);
    const actor = actorOf(req.principal!);
    const terminal = await d.enrolment.update(actor, req.params.id, req.body);
    const moved = terminal.siteId !== before?.siteId || terminal.doorId !== before?.doorId;
    // Its socket still speaks for the old site or door until the page connects again (offline: it will, when it comes back).
    if (moved && d.kiosk.get(terminal.id)?.online) await d.kiosk.reload(actor, terminal.id).catch(() => undefined);
    return { id: terminal.id, name: terminal.label, siteId: terminal.siteId, doorId: terminal.doorId, createdAt: terminal.createdAt };
  });

  app.post<{ Body: Static<typeof CreateBody> }>('/api/terminals', {
    schema: {
      tags: ['terminals'], summary: 'Create a terminal and its first pairing code', body: CreateBody,
      description: 'The kiosk redeems the code at POST /api/terminal/pair within calls.pairing_code_minutes. Audited (credential.issue, terminal.pairing-code). terminal.admin on the site.',
      response: { 201: Type.Object({ terminal: TerminalRef, pairing: PairingView }, { description: 'The terminal and its pairing code' }) },
    },
    preHandler: d.auth.requires('terminal.admin', (req) => (req.body as { siteId: string }).siteId),
  }, async (req, reply) => {
    const { terminal, pairing } = await d.enrolment.create(actorOf(req.principal!), req.body);
    return reply.status(201).send({ terminal: { id: terminal.id, name: terminal.label, siteId: terminal.siteId, doorId: terminal.doorId }, pairing });
  });

  app.post<{ Params: Static<typeof IdParams> }>('/api/terminals/:id/pairing-code', {
    schema: {
      tags: ['terminals'], summary: 'A new pairing code for a terminal', params: IdParams,
      description: 'For pairing a kiosk again (a new pairing rotates its secret). Audited (terminal.pairing-code). Deployment-wide terminal.admin.',
      response: { 200: described('The pairing code', PairingView) },
    },
    preHandler: d.auth.requires('terminal.admin'),
  }, async (req) => d.enrolment.newCode(actorOf(req.principal!), req.params.id));

  app.post<{ Body: Static<typeof PairBody> }>('/api/terminal/pair', {
    schema: {
      tags: ['terminals'], summary: 'Pair this browser as a kiosk with a code', body: PairBody,
      description: 'Redeems a pairing code once; the kiosk\'s long-lived secret comes back as the portier_terminal cookie (HttpOnly, Secure). Failures are limited per address and gateway (423, 429).',
      response: { 200: Type.Object({ terminal: open({ id: Type.String(), name: Type.String(), siteId: Type.Union([Type.String(), Type.Null()]) }) }, { description: 'Paired; the cookie is set' }), 401: ErrorBody, 423: ErrorBody, 429: ErrorBody },
    },
  }, async (req, reply) => {
    const now = d.clock.now();
    // Bounded memory under a flood of addresses: forget only what no longer counts.
    if (byAddress.size > 10_000) for (const [address, times] of byAddress) { trim(times, now); if (times.length === 0) byAddress.delete(address); }
    trim(everyone, now);
    if (everyone.length >= d.pairing.perMinute) throw new RateLimitedError('too many pairing attempts on this gateway; try again in a minute', (everyone[0]! + MINUTE - now) / 1000, { reason: 'pairing.too-many' });
    let mine = byAddress.get(req.ip);
    if (!mine) byAddress.set(req.ip, mine = []);
    trim(mine, now);
    if (mine.length >= d.pairing.perAddressPerMinute) throw new LockedError('too many pairing attempts; wait a minute', (mine[0]! + MINUTE - now) / 1000, { reason: 'pairing.too-many' });
    // Counted before the lookup, so parallel guesses cannot all pass the check; a success gives its attempt back.
    mine.push(now);
    everyone.push(now);
    const { terminal, secret } = await d.enrolment.pair(req.body.code);
    for (const times of [mine, everyone]) { const i = times.lastIndexOf(now); if (i >= 0) times.splice(i, 1); }
    void reply.setCookie(TERMINAL_COOKIE, secret, { httpOnly: true, secure: true, sameSite: 'strict', path: '/', maxAge: TEN_YEARS_S });
    return { terminal: { id: terminal.id, name: terminal.label, siteId: terminal.siteId } };
  });

  app.get('/api/terminal/me', {
    schema: {
      tags: ['terminals'], summary: 'The kiosk this browser is paired as', description: 'By its portier_terminal cookie; 401 when not paired.',
      response: { 200: open({ id: Type.String(), name: Type.String(), siteId: Type.Union([Type.String(), Type.Null()]), hasDoor: Type.Boolean() }, 'The terminal'), 401: ErrorBody },
    },
  }, async (req) => {
    const principal = await d.auth.identify(req, ['terminal']);
    const terminal = principal?.scheme === 'terminal' ? principal.credential : undefined;
    if (!terminal) throw new UnauthenticatedError('this browser is not paired as a terminal');
    return { id: terminal.id, name: terminal.label, siteId: terminal.siteId, hasDoor: terminal.doorId !== null };
  });
}
