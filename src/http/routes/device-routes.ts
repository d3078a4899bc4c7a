// Admin API of the device hub: devices (secret shown once, rotate, revoke, list
// with presence), cards (issue, list without their numbers, delete), rules
// (store-edited, versioned; dry run; reload) and a reception unlock. Bodies are
// TypeBox schemas; permissions on the object's site.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { InvalidError, NotFoundError } from '../../core/index.ts';
import { DEVICE_KINDS, parseRule, type DeviceHub } from '../../device-hub/index.ts';
import { actorOf, type Auth } from '../auth.ts';
import { ErrorBody, Id, IdParams } from './schemas.ts';
import { CardNumber, DeviceId, DeviceLabel, HolderRef } from './form-fields.ts';
import { DeviceListItem, DeviceSecretView, DeviceView, EvaluationView, NoContent, RuleVersionView, RuleView, described, open } from './views.ts';

const SiteQuery = Type.Object({ siteId: Type.Optional(Id) }, { additionalProperties: false });
const DeviceBody = Type.Object({
  id: DeviceId,
  kind: Type.Union(DEVICE_KINDS.map((k) => Type.Literal(k))),
  siteId: Id,
  doorId: Type.Optional(Type.Union([Id, Type.Null()])),
  terminalId: Type.Optional(Type.Union([Id, Type.Null()])),
  label: Type.Optional(DeviceLabel),
}, { additionalProperties: false });
/** At least one field; a door or panel keeps a door of its (new) site. Its id (the MQTT client id) stays. */
const DevicePatch = Type.Object({
  label: DeviceBody.properties.label, kind: Type.Optional(DeviceBody.properties.kind), siteId: Type.Optional(Id), doorId: DeviceBody.properties.doorId,
}, { additionalProperties: false, minProperties: 1 });
const CardKind = Type.Union([Type.Literal('employee'), Type.Literal('visitor')]);
/**
 * ms since the epoch, or null: no limit. `nullable` rather than a union: fastify's
 * type coercion would turn null into 0 in a union's integer branch (a card expired in 1970).
 */
const Instant = Type.Unsafe<number | null>({ type: 'integer', minimum: 0, nullable: true });
const CardDoors = Type.Union([Type.Array(Id, { maxItems: 200 }), Type.Null()]);
const CardBody = Type.Object({
  siteId: Id, card: CardNumber, holderRef: HolderRef, kind: CardKind,
  validFrom: Type.Optional(Instant), validUntil: Type.Optional(Instant), doors: Type.Optional(CardDoors),
}, { additionalProperties: false });
const CardPatch = Type.Object({
  holderRef: Type.Optional(HolderRef), validFrom: Type.Optional(Instant), validUntil: Type.Optional(Instant), doors: Type.Optional(CardDoors),
}, { additionalProperties: false, minProperties: 1 });
/** A listed card: the response schema also guarantees that nothing but these fields (never a number) leaves. */
const CardView = Type.Object({
  id: Type.String(), siteId: Id, holderRef: Id, kind: CardKind,
  validFrom: Instant, validUntil: Instant, doors: CardDoors, createdAt: Type.Integer(),
});
/** A card's id is the keyed hash of its site and number (hex HMAC-SHA-256). */
const CardIdParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{64}$' }) });
const DryRunBody = Type.Object({
  deviceId: Id, topic: Type.String({ minLength: 1, maxLength: 256 }), payload: Type.Unknown(),
}, { additionalProperties: false });
/** A reception unlock: `seconds` bounded by device_hub.max_unlock_seconds (an hour-long unlock is no reception's business). */
const unlockBody = (maxSeconds: number) => Type.Object({ seconds: Type.Integer({ minimum: 1, maximum: maxSeconds }) }, { additionalProperties: false });

export interface DeviceRouteDeps {
  auth: Auth; hub: DeviceHub;
  /** Longest unlock the API accepts (device_hub.max_unlock_seconds). */
  maxUnlockSeconds: number;
}

export async function deviceRoutes(app: FastifyInstance, d: DeviceRouteDeps): Promise<void> {
  const { hub, auth } = d;
  const authenticated = auth.authenticated();
  const idParam = (req: FastifyRequest) => (req.params as { id: string }).id;
  /**
   * A rule opens doors with its writer's right: a door.unlock action needs
   * door.unlock on the rule's site and at most device_hub.max_unlock_seconds,
   * as if the writer unlocked through the API (rules.write alone opens no door).
   */
  const mayUnlockBy = async (req: FastifyRequest, body: unknown): Promise<void> => {
    const parsed = parseRule(body);
    if (!parsed.ok) return; // the store names the field
    const unlocks = parsed.rule.actions.flatMap((a, i) => (a.type === 'door.unlock' ? [{ a, i }] : []));
    if (unlocks.length === 0) return;
    await auth.demand(req, 'door.unlock', parsed.rule.site);
    const long = unlocks.find(({ a }) => a.seconds > d.maxUnlockSeconds);
    if (long) {
      throw new InvalidError(`rule ${parsed.rule.id} field /actions/${long.i}/seconds: at most ${d.maxUnlockSeconds} (device_hub.max_unlock_seconds)`,
        { reason: 'schema.maximum', params: { field: `actions.${long.i}.seconds`, limit: d.maxUnlockSeconds } });
    }
  };

  app.get<{ Querystring: Static<typeof SiteQuery> }>('/api/devices', {
    schema: {
      tags: ['devices'], summary: 'List the MQTT devices with their presence', querystring: SiteQuery,
      description: 'Devices of one site (siteId) or of all; online: connected to the broker now. device.admin on the site (deployment-wide without siteId).',
      response: { 200: Type.Array(DeviceListItem, { description: 'The devices' }) },
    },
    preHandler: auth.requires('device.admin', (req) => (req.query as { siteId?: string }).siteId),
  }, async (req) => hub.listDevices(req.query.siteId));

  app.post<{ Body: Static<typeof DeviceBody> }>('/api/devices', {
    schema: {
      tags: ['devices'], summary: 'Register an MQTT device (its secret is in the answer, once)', body: DeviceBody,
      description: 'The device connects to the broker with user = its id and password = secret, and may use the topics portier/<site>/<id>/# (docs/device-hub.md). Audited (credential.issue). device.admin on the site.',
      response: { 201: described('The device and its MQTT password (shown once; only its hash is stored)', DeviceSecretView) },
    },
    preHandler: auth.requires('device.admin', (req) => (req.body as { siteId: string }).siteId),
  }, async (req, reply) => reply.status(201).send(await hub.registerDevice(actorOf(req.principal!), req.body)));

  for (const op of ['rotate', 'revoke'] as const) {
    app.post<{ Params: Static<typeof IdParams> }>(`/api/devices/:id/${op}`, {
      schema: op === 'rotate' ? {
        tags: ['devices'], summary: "Rotate a device's secret", params: IdParams,
        description: 'A new MQTT password, shown once; the old one stops working. Audited (credential.rotate). device.admin on its site.',
        response: { 200: described('The device and its new password', DeviceSecretView) },
      } : {
        tags: ['devices'], summary: 'Revoke a device', params: IdParams,
        description: 'Its credential is revoked and its connection closed; the device stays listed as revoked. Audited (credential.revoke). device.admin on its site.',
        response: { 200: described('The device, revoked', DeviceView) },
      },
      preHandler: auth.requires('device.admin', async (req) => (await hub.device(idParam(req))).siteId),
    }, async (req) => (op === 'rotate' ? hub.rotateDevice(actorOf(req.principal!), req.params.id) : hub.revokeDevice(actorOf(req.principal!), req.params.id)));
  }

  // What a device needs besides its secret: the broker's host (the one this page was reached at), ports and its topics.
  app.get<{ Params: Static<typeof IdParams> }>('/api/devices/:id/connection', {
    schema: {
      tags: ['devices'], summary: "How a device connects: broker host, MQTT ports (plain, TLS), user name and its topics", params: IdParams,
      description: 'Everything but the secret: the host this request reached the gateway at, the MQTT listener ports, the user name (its id) and the topics its ACL lets it publish and subscribe. device.admin on its site.',
      response: {
        200: Type.Object({
          host: Type.String(), username: Type.String(), ports: open({ tcp: Type.Integer(), tls: Type.Integer() }),
          topics: open({ publish: Type.Array(Type.String()), subscribe: Type.Array(Type.String()) }),
        }, { description: 'How it connects', additionalProperties: true }),
      },
    },
    preHandler: auth.requires('device.admin', async (req) => (await hub.device(idParam(req))).siteId),
  }, async (req) => ({ host: req.hostname.replace(/:\d+$/, ''), ...(await hub.deviceConnection(req.params.id)) }));

  // Changes a device: device.admin on its site and, when it moves, on the new one.
  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof DevicePatch> }>('/api/devices/:id', {
    schema: {
      tags: ['devices'], summary: 'Rename a device, change its kind or move it to another site or door', params: IdParams, body: DevicePatch,
      description: 'Its secret and id stay; a connected device whose kind, site or door changed is disconnected. Audited (device.update). device.admin on its site (and on the new one).',
      response: { 200: described('The device as stored', DeviceView) },
    },
    preHandler: auth.requires('device.admin', async (req) => (await hub.device(idParam(req))).siteId),
  }, async (req) => {
    if (req.body.siteId !== undefined) await auth.demand(req, 'device.admin', req.body.siteId);
    return hub.updateDevice(actorOf(req.principal!), req.params.id, req.body);
  });

  app.delete<{ Params: Static<typeof IdParams> }>('/api/devices/:id', {
    schema: {
      tags: ['devices'], summary: 'Delete a device (its credential is revoked, its connection closed)', params: IdParams,
      description: 'Audited (device.delete). device.admin on its site.', response: { 204: NoContent('Deleted'), 403: ErrorBody, 404: ErrorBody },
    },
    preHandler: auth.requires('device.admin', async (req) => (await hub.device(idParam(req))).siteId),
  }, async (req, reply) => {
    await hub.removeDevice(actorOf(req.principal!), req.params.id);
    return reply.status(204).send();
  });

  app.get<{ Querystring: Static<typeof SiteQuery> }>('/api/cards', {
    schema: {
      tags: ['cards'], summary: 'List the access cards (never their numbers)', querystring: SiteQuery,
      description: 'Cards of one site (siteId) or of all: holder, kind, validity and doors; a card\'s id is the keyed hash of its site and number. device.admin on the site.',
      response: { 200: Type.Array(CardView, { description: 'The cards' }), 403: ErrorBody },
    },
    preHandler: auth.requires('device.admin', (req) => (req.query as { siteId?: string }).siteId),
  }, async (req) => hub.listCards(req.query.siteId));

  app.post<{ Body: Static<typeof CardBody> }>('/api/cards', {
    schema: {
      tags: ['cards'], summary: 'Add an access card', body: CardBody,
      description: 'The number is stored only as a keyed hash. validFrom/validUntil null or absent: no limit; doors null: every door of the site. Audited (card.issue). device.admin on the site.',
      response: { 201: described('The card (without its number)', CardView) },
    },
    preHandler: auth.requires('device.admin', (req) => (req.body as { siteId: string }).siteId),
  }, async (req, reply) => reply.status(201).send(await hub.addCard(actorOf(req.principal!), req.body)));

  const cardSite = async (req: FastifyRequest) => {
    const card = await hub.card(idParam(req));
    if (!card) throw new NotFoundError(`card ${idParam(req)} not found`, { reason: 'card.not-found' });
    return card.siteId;
  };

  app.patch<{ Params: Static<typeof CardIdParams>; Body: Static<typeof CardPatch> }>('/api/cards/:id', {
    schema: {
      tags: ['cards'], summary: "Change a card's holder, validity or doors", params: CardIdParams, body: CardPatch,
      description: 'Its number stays. Audited (card.update). device.admin on its site.',
      response: { 200: described('The card as stored', CardView), 403: ErrorBody, 404: ErrorBody },
    },
    preHandler: auth.requires('device.admin', cardSite),
  }, async (req) => hub.updateCard(actorOf(req.principal!), req.params.id, req.body));

  app.delete<{ Params: Static<typeof CardIdParams> }>('/api/cards/:id', {
    schema: {
      tags: ['cards'], summary: 'Remove an access card', params: CardIdParams, description: 'Audited (card.remove). device.admin on its site.',
      response: { 204: NoContent('Removed'), 403: ErrorBody, 404: ErrorBody },
    },
    preHandler: auth.requires('device.admin', cardSite),
  }, async (req, reply) => {
    await hub.removeCard(actorOf(req.principal!), req.params.id);
    return reply.status(204).send();
  });

  app.get<{ Querystring: Static<typeof SiteQuery> }>('/api/rules', {
    schema: {
      tags: ['rules'], summary: 'List the automation rules', querystring: SiteQuery,
      description: 'Rules of one site (siteId) or of all, from the store and from rule files, with their current version. rules.write on the site.',
      response: { 200: Type.Array(RuleView, { description: 'The rules' }) },
    },
    preHandler: auth.requires('rules.write', (req) => (req.query as { siteId?: string }).siteId),
  }, async (req) => hub.listRules(req.query.siteId));

  app.put('/api/rules', {
    schema: {
      tags: ['rules'], summary: 'Create or replace a rule',
      description: 'The body is the rule (docs/rules.md: id, site, trigger, conditions, actions); checked against real devices, doors and roles, versioned, active at once. Audited (rule.write). rules.write on its site; door.unlock there too for a door.unlock action.',
      response: { 200: described('The rule as stored', RuleView) },
    },
    preHandler: authenticated,
  }, async (req) => {
    const site = typeof (req.body as { site?: unknown } | null)?.site === 'string' ? (req.body as { site: string }).site : undefined;
    if (!site) throw new InvalidError('rule field /site: required', { reason: 'schema.required', params: { field: 'site' } });
    await auth.demand(req, 'rules.write', site);
    // Replacing a rule of another site needs the same permission there.
    const id = (req.body as { id?: unknown }).id;
    const existing = typeof id === 'string' ? await hub.rule(id) : undefined;
    if (existing && existing.siteId !== site) await auth.demand(req, 'rules.write', existing.siteId);
    await mayUnlockBy(req, req.body);
    return hub.putRule(actorOf(req.principal!), req.body);
  });

  app.delete<{ Params: Static<typeof IdParams> }>('/api/rules/:id', {
    schema: {
      tags: ['rules'], summary: 'Remove a rule', params: IdParams, description: 'It stops at once; its versions stay. Audited (rule.delete). rules.write on its site.',
      response: { 204: NoContent('Removed') },
    },
    preHandler: auth.requires('rules.write', async (req) => {
      const rule = await hub.rule(idParam(req));
      if (!rule) throw new NotFoundError(`rule ${idParam(req)} not found`);
      return rule.siteId;
    }),
  }, async (req, reply) => {
    await hub.removeRule(actorOf(req.principal!), req.params.id);
    return reply.status(204).send();
  });

  app.get<{ Params: Static<typeof IdParams> }>('/api/rules/:id/versions', {
    schema: {
      tags: ['rules'], summary: "A rule's versions", params: IdParams,
      description: 'Every version with who wrote it and when (definition null: removed). rules.write on its site (deployment-wide for a removed rule).',
      response: { 200: Type.Array(RuleVersionView, { description: 'The versions, oldest first' }) },
    },
    // A removed rule's versions: deployment-wide rules.write.
    preHandler: auth.requires('rules.write', async (req) => (await hub.rule(idParam(req)))?.siteId),
  }, async (req) => hub.ruleVersions(req.params.id));

  app.post('/api/rules/reload', {
    schema: {
      tags: ['rules'], summary: 'Reload the rules', description: 'Reads the rule files and the store again (after editing files). Deployment-wide rules.write.',
      response: { 200: open({ ok: Type.Boolean(), error: Type.Optional(Type.String()) }, 'Whether the rules loaded (error: why not)') },
    },
    preHandler: auth.requires('rules.write'),
  },
    async () => hub.reloadRules());

  app.post<{ Body: Static<typeof DryRunBody> }>('/api/rules/dry-run', {
    schema: {
      tags: ['rules'], summary: 'What the rules would do with a device message (dry run)', body: DryRunBody,
      description: 'Evaluates every rule of the device\'s site against the message without doing anything. rules.write on the device\'s site.',
      response: { 200: Type.Array(EvaluationView, { description: 'One evaluation per rule' }) },
    },
    preHandler: auth.requires('rules.write', async (req) => (await hub.device((req.body as { deviceId: string }).deviceId)).siteId),
  }, async (req) => hub.dryRun(req.body));

  // Any door of the site, outside any call: the reception's and admins' right (door.unlock).
  // A call's participants open their call's door through the desk, not here.
  const UnlockBody = unlockBody(d.maxUnlockSeconds);
  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof UnlockBody> }>('/api/doors/:id/unlock', {
    schema: {
      tags: ['devices'], summary: 'Unlock a door', params: IdParams, body: UnlockBody,
      description: 'Sent to the door\'s controller through the outbox and answered with its outcome (acknowledged, or why not). Audited. door.unlock on the door\'s site; at most device_hub.max_unlock_seconds.',
      response: { 200: open({ commandId: Type.String(), outcome: Type.String({ description: 'acknowledged (the door confirmed), timeout (no acknowledgement in time) or failed (refused or expired)' }) }, 'The command and its outcome') },
    },
    preHandler: auth.requires('door.unlock', (req) => hub.siteOfDoor(idParam(req))),
  }, async (req) => hub.openDoor({ doorId: req.params.id, seconds: req.body.seconds, issuedBy: actorOf(req.principal!) }));
}
