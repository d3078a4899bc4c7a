// Cards through the admin API of a started gateway: listed without their numbers
// (the id is the keyed hash), deleted by that id and audited, permission on the
// card's own site, named errors for unknown ids and bad bodies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { startGateway, ApiClient } from '../support/gateway.ts';
import { connect, device, closeClient, cardDecision } from '../support/mqtt.ts';

const PASSWORD = 'admin password 123';
const OPERATOR_PASSWORD = 'operator password 123';

describe('cards in the admin API', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let api: ApiClient;
  let hqDoor: string;
  let branchDoor: string;
  /** A card reader at hq's door: a card's decision is what its read does (the audited card.read). */
  let reader: MqttClient;
  const decision = (card: string) => cardDecision(gw.gateway.services.deviceHub, gw.gateway.services.audit, { client: reader, id: 'reader-hq', siteId: 'hq' }, card);
  const listed = async (siteId: string) => {
    const res = await api.get(`/api/cards?siteId=${siteId}`);
    expect(res.status).toBe(200);
    return res.body as Array<Record<string, unknown>>;
  };

  beforeAll(async () => {
    gw = await startGateway();
    api = new ApiClient(gw.base);
    expect((await api.post('/api/first-run', { token: gw.firstRunToken(), password: PASSWORD })).status).toBe(200);
    expect((await api.post('/api/auth/login', { login: 'admin', password: PASSWORD })).status).toBe(200);
    for (const id of ['hq', 'branch']) expect((await api.post('/api/sites', { id, name: id, timeZone: 'Europe/Berlin' })).status).toBe(201);
    hqDoor = (await api.post('/api/sites/hq/doors', { name: 'Main entrance' })).body.id;
    branchDoor = (await api.post('/api/sites/branch/doors', { name: 'Side door' })).body.id;
    const { deviceHub } = gw.gateway.services;
    const { secret } = await deviceHub.registerDevice({ type: 'system', id: null }, { id: 'reader-hq', kind: 'card-reader', siteId: 'hq', doorId: hqDoor, terminalId: null });
    reader = await connect(`mqtt://127.0.0.1:${deviceHub.mqttPorts.tcp}`, device({ id: 'reader-hq', secret }));
  });
  afterAll(async () => { await closeClient(reader); await gw?.close(); });

  it('lists a site\'s cards with their hash as id and never their numbers', async () => {
    const validFrom = Date.UTC(2026, 0, 1);
    const validUntil = Date.UTC(2026, 0, 2);
    expect((await api.post('/api/cards', { siteId: 'hq', card: '04A1B2C3D4', holderRef: 'user-7', kind: 'employee' })).status).toBe(201);
    expect((await api.post('/api/cards', {
      siteId: 'hq', card: 'VISIT-998877', holderRef: 'visit-3', kind: 'visitor', validFrom, validUntil, doors: [hqDoor],
    })).status).toBe(201);
    expect((await api.post('/api/cards', { siteId: 'branch', card: 'BRANCH-1', holderRef: 'user-9', kind: 'employee' })).status).toBe(201);

    const hq = await listed('hq');
    expect(hq).toHaveLength(2);
    expect(hq.find((c) => c.holderRef === 'visit-3')).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{64}$/), siteId: 'hq', holderRef: 'visit-3', kind: 'visitor',
      validFrom, validUntil, doors: [hqDoor], createdAt: expect.any(Number),
    });
    expect(hq.find((c) => c.holderRef === 'user-7')).toMatchObject({ kind: 'employee', validFrom: null, validUntil: null, doors: null });
    const text = JSON.stringify(hq);
    for (const number of ['04A1B2C3D4', 'VISIT-998877', 'BRANCH-1']) expect(text).not.toContain(number);
    expect((await listed('branch')).map((c) => c.holderRef)).toEqual(['user-9']);
  });

  it('deletes a card by its id: audited, its reads denied, a second delete is 404', async () => {
    const added = await api.post('/api/cards', { siteId: 'hq', card: 'GONE-1', holderRef: 'user-11', kind: 'employee' });
    expect(added.status).toBe(201);
    const card = (await listed('hq')).find((c) => c.holderRef === 'user-11')!;
    expect(added.body).toEqual(card);
    const id = card.id as string;
    expect(await decision('GONE-1')).toMatchObject({ allowed: true });

    const removed = await api.call('DELETE', `/api/cards/${id}`);
    expect(removed.status).toBe(204);
    expect((await listed('hq')).map((c) => c.id)).not.toContain(id);
    expect(await decision('GONE-1')).toEqual({ allowed: false, reason: 'unknown-card' });

    const audit = (await api.get('/api/audit?action=card.remove')).body;
    expect(audit[0]).toMatchObject({ action: 'card.remove', target_type: 'card', target_id: id.slice(0, 16), outcome: 'ok', site_id: 'hq', actor_type: 'user' });
    expect(JSON.stringify(audit)).not.toContain('GONE-1');

    const again = await api.call('DELETE', `/api/cards/${id}`);
    expect(again.status).toBe(404);
    expect(again.body.error).toBe('not-found');
  });

  it('answers an unknown id with 404 and a malformed one with 400', async () => {
    const unknown = await api.call('DELETE', `/api/cards/${'0'.repeat(64)}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: 'not-found', message: expect.stringMatching(/card 0{64} not found/) });
    const malformed = await api.call('DELETE', '/api/cards/04A1B2C3D4');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toBe('invalid');
  });

  it('refuses to list, add or delete cards of a site the user holds device.admin only elsewhere (403)', async () => {
    const role = await api.post('/api/roles', { name: 'card desk', description: 'cards of one site', permissions: ['device.admin'] });
    expect(role.status).toBe(201);
    const user = await api.post('/api/users', { login: 'ola', displayName: 'Ola', password: OPERATOR_PASSWORD });
    expect(user.status).toBe(201);
    expect((await api.post(`/api/users/${user.body.id}/roles`, { roleId: role.body.id, siteId: 'hq' })).status).toBe(200);
    const ola = new ApiClient(gw.base);
    expect((await ola.post('/api/auth/login', { login: 'ola', password: OPERATOR_PASSWORD })).status).toBe(200);

    expect((await ola.get('/api/cards?siteId=hq')).status).toBe(200);
    const branchCard = (await listed('branch'))[0]!;
    for (const res of [
      await ola.get('/api/cards?siteId=branch'),
      await ola.get('/api/cards'),
      await ola.post('/api/cards', { siteId: 'branch', card: 'X-1', holderRef: 'user-1', kind: 'employee' }),
      await ola.call('DELETE', `/api/cards/${branchCard.id as string}`),
    ]) {
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('forbidden');
    }
    expect((await listed('branch')).map((c) => c.id)).toEqual([branchCard.id]);
  });

  it('takes null or absent validity dates as no limit: such a card opens the door (not stored as expired on 1 January 1970)', async () => {
    const from = Date.UTC(2025, 0, 1);
    const cases: Array<[string, Record<string, unknown>, { validFrom: number | null; validUntil: number | null }]> = [
      ['OPEN-NULLS', { validFrom: null, validUntil: null }, { validFrom: null, validUntil: null }],
      ['OPEN-END', { validFrom: from, validUntil: null }, { validFrom: from, validUntil: null }],
      ['OPEN-ABSENT', {}, { validFrom: null, validUntil: null }],
      ['OPEN-DOORS', { validUntil: null, doors: null }, { validFrom: null, validUntil: null }],
    ];
    for (const [card, window, stored] of cases) {
      const res = await api.post('/api/cards', { siteId: 'hq', card, holderRef: `holder-${card.toLowerCase()}`, kind: 'employee', ...window });
      expect(res.status, card).toBe(201);
      expect(res.body, card).toMatchObject({ ...stored, doors: null });
      expect(await decision(card), card).toEqual({ allowed: true, holderRef: `holder-${card.toLowerCase()}`, kind: 'employee' });
    }
  });

  it('names the field of a bad validity date', async () => {
    const before = await listed('hq');
    const bodies: Array<[Record<string, unknown>, RegExp]> = [
      [{ validUntil: 'next week' }, /validUntil/],
      [{ validFrom: -5 }, /validFrom/],
      [{ validFrom: 1.5 }, /validFrom/],
      [{ validFrom: Date.UTC(2026, 0, 2), validUntil: Date.UTC(2026, 0, 1) }, /validUntil must be after validFrom/],
    ];
    for (const [window, message] of bodies) {
      const res = await api.post('/api/cards', { siteId: 'hq', card: 'BAD-WINDOW', holderRef: 'user-1', kind: 'visitor', ...window });
      expect(res.status, JSON.stringify(window)).toBe(400);
      expect(res.body, JSON.stringify(window)).toMatchObject({ error: 'invalid', message: expect.stringMatching(message) });
    }
    expect(await listed('hq')).toEqual(before);
  });

  it('answers bad bodies with a named error and writes nothing', async () => {
    const before = await listed('hq');
    const bodies: Array<[unknown, RegExp]> = [
      [{ siteId: 'hq', card: 'B-1', kind: 'employee' }, /holderRef/],
      [{ siteId: 'hq', card: '', holderRef: 'user-1', kind: 'employee' }, /card/],
      [{ siteId: 'hq', card: 'B-1', holderRef: 'user-1', kind: 'contractor' }, /kind/],
      [{ siteId: 'hq', card: 'B-1', holderRef: 'user-1', kind: 'visitor', validFrom: 2000, validUntil: 1000 }, /validUntil must be after validFrom/],
      [{ siteId: 'hq', card: 'B-1', holderRef: 'user-1', kind: 'visitor', doors: [branchDoor] }, /is not a door of site hq/],
    ];
    for (const [body, message] of bodies) {
      const res = await api.post('/api/cards', body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid', message: expect.stringMatching(message) });
    }
    expect(await listed('hq')).toEqual(before);
  });
});
