// SIP accounts in the admin page (issue 13, "Signaling"): list every account with
// its registration state (the config file's read-only, marked origin 'config'),
// and create, change, disable and delete the admin's own, applied live
// (src/sip-bridge/account-admin.ts). The digest password is write-only (hasPassword),
// and so is the door code (doorCode 'default' | 'none' | 'set'): both are credentials.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { SipAccountAdmin, SipAccountListing } from '../../sip-bridge/index.ts';
import { actorOf, type Auth } from '../auth.ts';
import { ErrorBody, IdParams } from './schemas.ts';
import { NoContent, described, open } from './views.ts';
import { SipAccountId, SipAccountPassword, SipAccountUser, SipDoorCode, SipExpires, SipLocalPort, SipServer } from './form-fields.ts';

const Nullable = <S extends Parameters<typeof Type.Union>[0][number]>(s: S) => Type.Union([s, Type.Null()]);
const Fields = {
  enabled: Type.Boolean({ description: 'false: kept, not registered' }),
  registrar: { ...SipServer, description: 'host[:port] of the registrar (5060, 5061 over TLS)' },
  secondaryRegistrars: Type.Array(SipServer, { maxItems: 8, description: 'servers to fail over to, in order' }),
  transport: Type.Union([Type.Literal('udp'), Type.Literal('tcp'), Type.Literal('tls')]),
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
  hasPassword: Type.Boolean({ description: 'a password is set (the password itself is write-only)' }),
  shadowed: Type.Boolean({ description: 'an admin account whose id the config file took later: it does not run (the config file\'s does) and can only be deleted' }),
  state: Type.String({ description: 'registering, registered, failed or unregistered; disabled when not running; shadowed (see shadowed)' }),
  server: Type.Optional(Type.String({ description: 'the server in use now' })),
  reason: Type.Optional(Type.String()), code: Type.Optional(Type.Integer()), phrase: Type.Optional(Type.String()),
});

/** One account as the admin API answers it: no password, its state flattened. */
const view = (l: SipAccountListing) => ({
  origin: l.origin, ...l.account, hasPassword: l.hasPassword, shadowed: l.shadowed === true, state: l.status?.state ?? (l.shadowed ? 'shadowed' : 'disabled'),
  ...l.status ? { server: l.status.server } : {},
  ...l.status?.reason !== undefined ? { reason: l.status.reason } : {}, ...l.status?.code !== undefined ? { code: l.status.code } : {},
  ...l.status?.phrase !== undefined ? { phrase: l.status.phrase } : {},
});

const DEFAULTS = {
  enabled: true, secondaryRegistrars: [], transport: 'udp' as const, tlsServerName: '', tlsCa: '', srtp: 'off' as const, authUsername: '',
  domain: '', expires: null, outboundProxy: '', localPort: null, doorCode: null,
};

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
      description: 'Enabled, it registers at once. Audited (sip-account.create, no secret). 409 sip-account.id-in-config, sip-account.id-taken, sip-account.port-taken; 400 sip.host-port, sip.srtp-needs-tls, sip.tls-needs-transport, sip.secondaries-with-proxy, sip.ca-not-pem. site.admin deployment-wide.',
      response: { 201: described('The account as stored', SipAccountAdminView), 400: ErrorBody, 409: ErrorBody },
    },
    preHandler: admin,
  }, async (req, reply) => {
    const { password, doorCode, ...input } = req.body;
    return reply.status(201).send(view(await d.accounts.create(actorOf(req.principal!), { ...DEFAULTS, ...input, doorCode: storedDoorCode(doorCode) ?? null }, password)));
  });

  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof PatchBody> }>('/api/sip-accounts/:id', {
    schema: {
      tags: ['sip'], summary: 'Change, enable or disable a SIP account', params: IdParams, body: PatchBody,
      description: 'Applied live: the account unregisters and registers again with the new settings; disabled, it unregisters. A password left out stays. '
        + '409 sip-account.calls-running while it has calls (they are never cut), sip-account.from-config for a config-file account. Audited (sip-account.update: the fields, no secret). site.admin deployment-wide.',
      response: { 200: described('The account as stored', SipAccountAdminView), 400: ErrorBody, 404: ErrorBody, 409: ErrorBody },
    },
    preHandler: admin,
  }, async (req) => {
    const { password, doorCode, ...patch } = req.body;
    return view(await d.accounts.update(actorOf(req.principal!), req.params.id, { ...patch, doorCode: storedDoorCode(doorCode) }, password));
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
