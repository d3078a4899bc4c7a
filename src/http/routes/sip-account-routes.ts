// SIP accounts in the admin page (issue 13, "Signaling"): list every account with
// its registration state (the config file's read-only, marked origin 'config'),
// and create, change, disable and delete the admin's own, applied live
// (src/sip-bridge/account-admin.ts). The digest password is write-only (hasPassword),
// and so are the door code (doorCode 'default' | 'none' | 'set') and the inbound
// trunk's password (inbound.hasPassword): all are credentials. The inbound part (the
// PBX calling in: its numbers ring phone-book entries or reach terminals) is
// written whole; its entries and terminals must exist, its numbers be no other account's.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { SipAccountAdmin, SipAccountListing, StoredInbound } from '../../sip-bridge/index.ts';
import { actorOf, type Auth } from '../auth.ts';
import { ErrorBody, IdParams } from './schemas.ts';
import { NoContent, described, open } from './views.ts';
import {
  SipAccountId, SipAccountPassword, SipAccountUser, SipCallerId, SipCallerName, SipDoorCode, SipExpires, SipInboundNumber, SipInboundRealm, SipLocalPort, SipServer,
} from './form-fields.ts';

const Nullable = <S extends Parameters<typeof Type.Union>[0][number]>(s: S) => Type.Union([s, Type.Null()]);
/** Limits of an inbound part: a trunk has a few dozen numbers, a handful of terminals answering by themselves. */
const INBOUND_LIMITS = { sources: 16, numbers: 200, terminals: 50, callers: 20 };
const InboundParts = {
  realm: { ...SipInboundRealm, description: "the digest realm Portier challenges the PBX in; '' = portier" },
  sources: Type.Array(Type.String({ minLength: 1, maxLength: 45 }), { maxItems: INBOUND_LIMITS.sources, description: "the PBX's IP addresses: only they may send INVITEs ([] = any); required with terminals" }),
  trustRegistrar: Type.Boolean({ description: "INVITEs from the registrar's/outbound proxy's address and port need no challenge (docs/sip.md); with terminals only over tls" }),
  numbers: Type.Array(Type.Object({
    number: { ...SipInboundNumber, description: 'the Request-URI user the PBX sends (the dialled number or DID)' },
    entryId: Type.String({ minLength: 1, maxLength: 64, description: 'the phone-book entry it rings (any site)' }),
  }, { additionalProperties: false }), { maxItems: INBOUND_LIMITS.numbers }),
  terminals: Type.Array(Type.Object({
    number: SipInboundNumber,
    terminalId: Type.String({ minLength: 1, maxLength: 64, description: 'the terminal that answers by itself (GET /api/terminals)' }),
    callers: Type.Array(Type.Object({
      id: { ...SipCallerId, description: 'the caller in the audit (callerKey), unique per number' },
      number: { ...SipInboundNumber, description: "the asserted caller (P-Asserted-Identity user) that may reach it" },
      name: Type.Optional({ ...SipCallerName, description: "shown on the kiosk; '' or left out = the number" }),
    }, { additionalProperties: false }), { minItems: 1, maxItems: INBOUND_LIMITS.callers }),
  }, { additionalProperties: false }), { maxItems: INBOUND_LIMITS.terminals }),
};
const InboundBody = Type.Object({
  username: { ...SipAccountUser, description: "the digest user the PBX answers Portier's challenge with" },
  password: Type.Optional({ ...SipAccountPassword, description: "the trunk's digest password: write-only, stored sealed, never returned (inbound.hasPassword); left out: kept (required the first time)" }),
  ...Type.Partial(Type.Object({ realm: InboundParts.realm, sources: InboundParts.sources, trustRegistrar: InboundParts.trustRegistrar, terminals: InboundParts.terminals })).properties,
  numbers: InboundParts.numbers,
}, { additionalProperties: false, description: 'calls from the PBX (sip.accounts[].inbound), written whole; null: none' });
const InboundView = Type.Object({
  username: Type.String(), realm: Type.String(), sources: Type.Array(Type.String()), trustRegistrar: Type.Boolean(),
  numbers: Type.Array(Type.Object({ number: Type.String(), entryId: Type.String() })),
  terminals: Type.Array(Type.Object({ number: Type.String(), terminalId: Type.String(), callers: Type.Array(Type.Object({ id: Type.String(), number: Type.String(), name: Type.String() })) })),
  hasPassword: Type.Boolean({ description: "the trunk's password is set (it is write-only)" }),
});
const Fields = {
  enabled: Type.Boolean({ description: 'false: kept, not registered' }),
  registrar: { ...SipServer, description: 'host[:port] of the registrar (5060, 5061 over TLS); ws/wss: host[:port][/path] (80/443; path of the WebSocket upgrade, default /)' },
  secondaryRegistrars: Type.Array(SipServer, { maxItems: 8, description: 'servers to fail over to, in order' }),
  transport: Type.Union([Type.Literal('udp'), Type.Literal('tcp'), Type.Literal('tls'), Type.Literal('ws'), Type.Literal('wss')], { description: 'ws/wss: SIP over WebSocket (RFC 7118), outgoing only' }),
  tlsServerName: Type.String({ maxLength: 255, description: "TLS: the name the PBX's certificate must carry; '' = the server's host" }),
  tlsCa: Type.String({ maxLength: 65536, description: "TLS: the CA the PBX's certificate must chain to, PEM; '' = the public CAs" }),
  srtp: Type.Union([Type.Literal('off'), Type.Literal('offer'), Type.Literal('require')], { description: 'offer/require only with transport tls' }),
  username: SipAccountUser,
  authUsername: Type.String({ maxLength: 128, description: "the digest user; '' = username" }),
  password: { ...SipAccountPassword, description: 'the digest password: write-only, stored sealed, never returned (hasPassword)' },
  domain: Type.String({ maxLength: 255, description: "the SIP domain; '' = the registrar's host" }),
  expires: Nullable(SipExpires),
  outboundProxy: Type.String({ maxLength: 255, description: "host[:port]; '' = none" }),
  localPort: Nullable(SipLocalPort),
  doorCode: Type.Union([Type.Literal('default'), { ...SipDoorCode }], { description: "what the host presses to open the door: write-only, never returned (doorCode 'set'); '' = none, 'default' = sip.door_code; left out of a PATCH: kept" }),
  inbound: Nullable(InboundBody),
  codecs: Nullable(Type.Array(Type.Union([Type.Literal('opus'), Type.Literal('pcmu'), Type.Literal('pcma')]), {
    minItems: 1, maxItems: 3, description: 'the audio codecs offered and accepted, in order of preference (sip.accounts[].codecs): each once, pcmu or pcma among them (400 sip.codecs); null = sip.codecs',
  })),
};
const { registrar, username, password, ...rest } = Fields;
const CreateBody = Type.Object({
  id: SipAccountId, registrar, username, password, ...Type.Partial(Type.Object(rest)).properties,
}, { additionalProperties: false });
const PatchBody = Type.Partial(Type.Object(Fields), { additionalProperties: false, minProperties: 1 });

export const SipAccountAdminView = open({
  origin: Type.Union([Type.Literal('config'), Type.Literal('admin')], { description: 'config: from the config file (read-only here); admin: made in the admin page' }),
  id: Type.String(), enabled: Type.Boolean(), registrar: Type.String(), secondaryRegistrars: Type.Array(Type.String()), transport: Type.String(),
  tlsServerName: Type.String(), tlsCa: Type.String({ description: 'PEM (admin), or the CA file path (config)' }), srtp: Type.String(),
  username: Type.String(), authUsername: Type.String(), domain: Type.String(), expires: Type.Union([Type.Integer(), Type.Null()]),
  outboundProxy: Type.String(), localPort: Type.Union([Type.Integer(), Type.Null()]),
  doorCode: Type.Union([Type.Literal('default'), Type.Literal('none'), Type.Literal('set')], { description: "set: an own door code (write-only, never returned); none: no door code; default: sip.door_code" }),
  inbound: Type.Union([InboundView, Type.Null()], { description: 'calls from the PBX: numbers → phone-book entries, numbers → terminals; null: none' }),
  codecs: Type.Union([Type.Array(Type.String()), Type.Null()], { description: 'the audio codecs in order of preference; null: sip.codecs' }),
  hasPassword: Type.Boolean({ description: 'a password is set (the password itself is write-only)' }),
  shadowed: Type.Boolean({ description: 'an admin account whose id the config file took later: it does not run (the config file\'s does) and can only be deleted' }),
  state: Type.String({ description: 'registering, registered, failed or unregistered; disabled when not running; shadowed (see shadowed)' }),
  server: Type.Optional(Type.String({ description: 'the server in use now' })),
  reason: Type.Optional(Type.String()), code: Type.Optional(Type.Integer()), phrase: Type.Optional(Type.String()),
});

/** One account as the admin API answers it: no password, its state flattened. */
const view = (l: SipAccountListing) => ({
  origin: l.origin, ...l.account, inbound: l.account.inbound && { ...l.account.inbound, hasPassword: true }, hasPassword: l.hasPassword, shadowed: l.shadowed === true, state: l.status?.state ?? (l.shadowed ? 'shadowed' : 'disabled'),
  ...l.status ? { server: l.status.server } : {},
  ...l.status?.reason !== undefined ? { reason: l.status.reason } : {}, ...l.status?.code !== undefined ? { code: l.status.code } : {},
  ...l.status?.phrase !== undefined ? { phrase: l.status.phrase } : {},
});

const DEFAULTS = {
  enabled: true, secondaryRegistrars: [], transport: 'udp' as const, tlsServerName: '', tlsCa: '', srtp: 'off' as const, authUsername: '',
  domain: '', expires: null, outboundProxy: '', localPort: null, doorCode: null, inbound: null, codecs: null,
};

type InboundInput = Static<typeof InboundBody>;
/** An inbound part as stored and its password apart (write-only); null stays null (no inbound), left out undefined (a PATCH keeps it). */
function inboundOf(body: InboundInput | null | undefined): { inbound: StoredInbound | null | undefined; inboundPassword?: string } {
  if (!body) return { inbound: body };
  const { password, terminals = [], ...i } = body;
  const named = terminals.map((t) => ({ ...t, callers: t.callers.map((c) => ({ ...c, name: c.name ?? '' })) }));
  return { inbound: { realm: '', sources: [], trustRegistrar: false, ...i, terminals: named }, inboundPassword: password };
}

/** A door code as stored: 'default' is null (sip.door_code), left out stays undefined (a PATCH keeps the code). */
const storedDoorCode = (code: string | undefined): string | null | undefined => (code === 'default' ? null : code);

export async function sipAccountRoutes(app: FastifyInstance, d: { auth: Auth; accounts: SipAccountAdmin }): Promise<void> {
  // Deployment-wide: an account serves every site's phone book.
  const admin = d.auth.requires('site.admin');

  app.get('/api/sip-accounts', {
    schema: {
      tags: ['sip'], summary: 'Every SIP account with its registration state',
      description: "The config file's accounts (origin config, read-only) and the admin page's (origin admin); never a password (hasPassword) nor a door code (doorCode default/none/set). site.admin deployment-wide.",
      response: { 200: described('The accounts', Type.Array(SipAccountAdminView)) },
    },
    preHandler: admin,
  }, async () => d.accounts.list().map(view));

  app.post<{ Body: Static<typeof CreateBody> }>('/api/sip-accounts', {
    schema: {
      tags: ['sip'], summary: 'Make a SIP account', body: CreateBody,
      description: 'Enabled, it registers at once. Audited (sip-account.create, no secret). 409 sip-account.id-in-config, sip-account.id-taken, sip-account.port-taken, sip-account.number-taken (an inbound number another account lists); 400 sip.host-port, sip.srtp-needs-tls, sip.tls-needs-transport, sip.secondaries-with-proxy, sip.ca-not-pem, sip.codecs (codecs: each once, pcmu or pcma among them), '
        + 'and for inbound sip.inbound-password, sip.inbound-number-twice, sip.inbound-caller-twice, sip.inbound-source, sip.inbound-terminals-need-sources, sip.inbound-trust-needs-tls, sip.secondary-not-source, sip-account.entry-unknown, sip-account.terminal-unknown (params name the number and the missing id). site.admin deployment-wide.',
      response: { 201: described('The account as stored', SipAccountAdminView), 400: ErrorBody, 409: ErrorBody },
    },
    preHandler: admin,
  }, async (req, reply) => {
    const { password, doorCode, inbound: body, ...input } = req.body;
    const { inbound, inboundPassword } = inboundOf(body);
    const account = { ...DEFAULTS, ...input, doorCode: storedDoorCode(doorCode) ?? null, inbound: inbound ?? null };
    return reply.status(201).send(view(await d.accounts.create(actorOf(req.principal!), account, password, inboundPassword)));
  });

  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof PatchBody> }>('/api/sip-accounts/:id', {
    schema: {
      tags: ['sip'], summary: 'Change, enable or disable a SIP account', params: IdParams, body: PatchBody,
      description: 'Applied live: the account unregisters and registers again with the new settings; disabled, it unregisters. A password left out stays; inbound is replaced whole (null: none), its password left out stays. The 400s and 409s of POST apply. '
        + '409 sip-account.calls-running while it has calls (they are never cut), sip-account.from-config for a config-file account. Audited (sip-account.update: the fields, no secret). site.admin deployment-wide.',
      response: { 200: described('The account as stored', SipAccountAdminView), 400: ErrorBody, 404: ErrorBody, 409: ErrorBody },
    },
    preHandler: admin,
  }, async (req) => {
    const { password, doorCode, inbound: body, ...patch } = req.body;
    const { inbound, inboundPassword } = inboundOf(body);
    return view(await d.accounts.update(actorOf(req.principal!), req.params.id, { ...patch, doorCode: storedDoorCode(doorCode), inbound }, { password, inboundPassword }));
  });

  app.delete<{ Params: Static<typeof IdParams> }>('/api/sip-accounts/:id', {
    schema: {
      tags: ['sip'], summary: 'Delete a SIP account', params: IdParams,
      description: 'It unregisters (expires 0) and closes. 409 sip-account.in-use (params.entries: the phone-book entries that ring through it), sip-account.calls-running, sip-account.from-config. '
        + "An id of the config file deletes the admin account it shadows (shadowed: true), leaving the config file's running; without one, 409 sip-account.from-config. Audited (sip-account.delete). site.admin deployment-wide.",
      response: { 204: NoContent('Deleted'), 404: ErrorBody, 409: ErrorBody },
    },
    preHandler: admin,
  }, async (req, reply) => {
    await d.accounts.remove(actorOf(req.principal!), req.params.id);
    return reply.status(204).send();
  });
}
