// Admin API of the device hub: devices (secret shown once, rotate, revoke, list
// with presence), cards (issue, list without their numbers, delete), rules
// (store-edited, versioned; dry run; reload) and a reception unlock. Bodies are
// TypeBox schemas; permissions on the object's site.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { Roles, Permission } from '../../access/index.ts';
import { ForbiddenError, InvalidError, NotFoundError } from '../../core/index.ts';
import { DEVICE_KINDS, parseDeviceTopic, parseDeviceMessage, parseRule, type DeviceHub } from '../../device-hub/index.ts';
import { actorOf, type Auth } from '../auth.ts';
import { ErrorBody, Id, IdParams } from './schemas.ts';

const SiteQuery = Type.Object({ siteId: Type.Optional(Id) }, { additionalProperties: false });
const DeviceBody = Type.Object({
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
  kind: Type.Union(DEVICE_KINDS.map((k) => Type.Literal(k))),
  siteId: Id,
  doorId: Type.Optional(Type.Union([Id, Type.Null()])),
  terminalId: Type.Optional(Type.Union([Id, Type.Null()])),
  label: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
}, { additionalProperties: false });
const CardKind = Type.Union([Type.Literal('employee'), Type.Literal('visitor')]);
/**
 * ms since the epoch, or null: no limit. `nullable` rather than a union: fastify's
 * type coercion would turn null into 0 in a union's integer branch (a card expired in 1970).
 */
const Instant = Type.Unsafe<number | null>({ type: 'integer', minimum: 0, nullable: true });
const CardDoors = Type.Union([Type.Array(Id, { maxItems: 200 }), Type.Null()]);
const CardBody = Type.Object({
  siteId: Id, card: Type.String({ minLength: 1, maxLength: 128 }), holderRef: Id, kind: CardKind,
  validFrom: Type.Optional(Instant), validUntil: Type.Optional(Instant), doors: Type.Optional(CardDoors),
}, { additionalProperties: false });
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
  auth: Auth; roles: Roles; hub: DeviceHub;
  /** Longest unlock the API accepts (device_hub.max_unlock_seconds). */
  maxUnlockSeconds: number;
}

export function deviceRoutes(app: FastifyInstance, d: DeviceRouteDeps): void {
  const { hub } = d;
  const must = async (req: FastifyRequest, permission: Permission, siteId: string | undefined) => {
    if (!(await d.roles.can(req.principal!, permission, siteId))) {
      throw new ForbiddenError(`requires permission ${permission}${siteId ? ` on site ${siteId}` : ''}`);
    }
  };
  const authenticated = d.auth.authenticated();
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
    await must(req, 'door.unlock', parsed.rule.site);
    const long = unlocks.find(({ a }) => a.seconds > d.maxUnlockSeconds);
    if (long) {
      throw new InvalidError(`rule ${parsed.rule.id} field /actions/${long.i}/seconds: at most ${d.maxUnlockSeconds} (device_hub.max_unlock_seconds)`);
    }
  };

  app.get<{ Querystring: Static<typeof SiteQuery> }>('/api/devices', {
    schema: { tags: ['devices'], querystring: SiteQuery },
    preHandler: d.auth.requires('device.admin', (req) => (req.query as { siteId?: string }).siteId),
  }, async (req) => (await hub.devices.list(req.query.siteId)).map((device) => ({ ...device, online: hub.broker.isOnline(device.id) })));

  app.post<{ Body: Static<typeof DeviceBody> }>('/api/devices', {
    schema: { tags: ['devices'], body: DeviceBody },
    preHandler: d.auth.requires('device.admin', (req) => (req.body as { siteId: string }).siteId),
  }, async (req, reply) => reply.status(201).send(await hub.devices.register(actorOf(req.principal!), req.body)));

  for (const op of ['rotate', 'revoke'] as const) {
    app.post<{ Params: Static<typeof IdParams> }>(`/api/devices/:id/${op}`, {
      schema: { tags: ['devices'], params: IdParams }, preHandler: authenticated,
    }, async (req) => {
      const device = await hub.devices.require(req.params.id);
      await must(req, 'device.admin', device.siteId);
      return op === 'rotate' ? hub.devices.rotate(actorOf(req.principal!), device.id) : hub.devices.revoke(actorOf(req.principal!), device.id);
    });
  }

  app.get<{ Querystring: Static<typeof SiteQuery> }>('/api/cards', {
    schema: { tags: ['cards'], querystring: SiteQuery, response: { 200: Type.Array(CardView), 403: ErrorBody } },
    preHandler: d.auth.requires('device.admin', (req) => (req.query as { siteId?: string }).siteId),
  }, async (req) => hub.cards.list(req.query.siteId));

  app.post<{ Body: Static<typeof CardBody> }>('/api/cards', {
    schema: { tags: ['cards'], body: CardBody, response: { 201: CardView } },
    preHandler: d.auth.requires('device.admin', (req) => (req.body as { siteId: string }).siteId),
  }, async (req, reply) => reply.status(201).send(await hub.cards.add(actorOf(req.principal!), req.body)));

  app.delete<{ Params: Static<typeof CardIdParams> }>('/api/cards/:id', {
    schema: { tags: ['cards'], params: CardIdParams, response: { 403: ErrorBody, 404: ErrorBody } }, preHandler: authenticated,
  }, async (req, reply) => {
    const card = await hub.cards.get(req.params.id);
    if (!card) throw new NotFoundError(`card ${req.params.id} not found`);
    await must(req, 'device.admin', card.siteId);
    await hub.cards.removeById(actorOf(req.principal!), card.id);
    return reply.status(204).send();
  });

  app.get<{ Querystring: Static<typeof SiteQuery> }>('/api/rules', {
    schema: { tags: ['rules'], querystring: SiteQuery }, preHandler: authenticated,
  }, async (req) => {
    await must(req, 'rules.write', req.query.siteId);
    return hub.rules.list(req.query.siteId);
  });

  app.put('/api/rules', { schema: { tags: ['rules'] }, preHandler: authenticated }, async (req) => {
    const site = typeof (req.body as { site?: unknown } | null)?.site === 'string' ? (req.body as { site: string }).site : undefined;
    if (!site) throw new InvalidError('rule field /site: required');
    await must(req, 'rules.write', site);
    // Replacing a rule of another site needs the same permission there.
    const id = (req.body as { id?: unknown }).id;
    const existing = typeof id === 'string' ? await hub.rules.get(id) : undefined;
    if (existing && existing.siteId !== site) await must(req, 'rules.write', existing.siteId);
    await mayUnlockBy(req, req.body);
    const rule = await hub.rules.put(actorOf(req.principal!), req.body);
    await hub.engine.reload();
    return rule;
  });

  app.delete<{ Params: Static<typeof IdParams> }>('/api/rules/:id', {
    schema: { tags: ['rules'], params: IdParams }, preHandler: authenticated,
  }, async (req, reply) => {
    const rule = await hub.rules.get(req.params.id);
    if (!rule) throw new NotFoundError(`rule ${req.params.id} not found`);
    await must(req, 'rules.write', rule.siteId);
    await hub.rules.remove(actorOf(req.principal!), rule.id);
    await hub.engine.reload();
    return reply.status(204).send();
  });

  app.get<{ Params: Static<typeof IdParams> }>('/api/rules/:id/versions', {
    schema: { tags: ['rules'], params: IdParams }, preHandler: authenticated,
  }, async (req) => {
    const rule = await hub.rules.get(req.params.id);
    if (rule) await must(req, 'rules.write', rule.siteId);
    else await must(req, 'rules.write', undefined);
    return hub.rules.versions(req.params.id);
  });

  app.post('/api/rules/reload', { schema: { tags: ['rules'] }, preHandler: d.auth.requires('rules.write') },
    async () => hub.reloadRules());

  app.post<{ Body: Static<typeof DryRunBody> }>('/api/rules/dry-run', {
    schema: { tags: ['rules'], body: DryRunBody }, preHandler: authenticated,
  }, async (req) => {
    const device = await hub.devices.require(req.body.deviceId);
    await must(req, 'rules.write', device.siteId);
    const t = parseDeviceTopic(req.body.topic);
    if (!t || t.deviceId !== device.id || t.siteId !== device.siteId) throw new InvalidError(`topic must be portier/${device.siteId}/${device.id}/<leaf>`);
    const parsed = parseDeviceMessage(t.leaf, JSON.stringify(req.body.payload));
    if (!parsed.ok) throw new InvalidError(`payload: ${parsed.reason}`);
    return hub.engine.dryRun({
      siteId: device.siteId, deviceId: device.id, deviceKind: device.kind, doorId: device.doorId,
      terminalId: device.terminalId, credentialId: device.credentialId, topic: req.body.topic, message: parsed.message, at: Date.now(), fresh: true,
    });
  });

  // Any door of the site, outside any call: the reception's and admins' right (door.unlock).
  // A call's participants open their call's door through the desk, not here.
  const UnlockBody = unlockBody(d.maxUnlockSeconds);
  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof UnlockBody> }>('/api/doors/:id/unlock', {
    schema: { tags: ['devices'], params: IdParams, body: UnlockBody }, preHandler: authenticated,
  }, async (req) => {
    const site = await hub.siteOfDoor(req.params.id);
    await must(req, 'door.unlock', site);
    return hub.outbox.unlock({ doorId: req.params.id, seconds: req.body.seconds, issuedBy: actorOf(req.principal!) });
  });
}
