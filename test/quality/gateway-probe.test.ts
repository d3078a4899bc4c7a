// The SLA's synthetic probe on a real gateway: besides media through a worker it
// signs a probe client in through the real socket.io path (/probe on the localhost
// HTTP listener) with its own credential kind `probe`. That client is no terminal or
// desk (absent from every list), its secret opens nothing else, and a broken
// signaling path fails the probe with an error naming signaling.
import { describe, expect, it } from 'vitest';
import type { ApiClient } from '../support/gateway.ts';
import type { Gw } from '../support/signaling.ts';
import { gatewayWithAdmin } from '../support/gateway-hooks.ts';
import { pingSignaling } from '../../src/signaling/index.ts';

type Tables = { calls: { id: string }; call_participants: { participant_id: string } };

describe('synthetic probe through signaling', () => {
  let gw: Gw;
  let admin: ApiClient;
  gatewayWithAdmin({}, (g, a) => { gw = g; admin = a; });

  const s = () => gw.gateway.services;

  it('succeeds through socket.io with its probe credential, which no list of terminals, desks, calls or kiosks shows', async () => {
    const probes = (await s().credentials.list('probe')).filter((c) => c.revokedAt === null);
    expect(probes).toHaveLength(1);
    expect(probes[0]).toMatchObject({ siteId: null, rotatedAt: null }); // issued at this (first) start
    const result = await s().probe.probe();
    expect(result).toMatchObject({ ok: true, error: null });

    const terminals = await admin.call('GET', '/api/terminals');
    expect(terminals.status).toBe(200);
    expect(JSON.stringify(terminals.body)).not.toContain(probes[0]!.id);
    expect(s().kiosk.list().map((k) => JSON.stringify(k)).join()).not.toContain(probes[0]!.id);
    expect(s().signaling.status()).toMatchObject({ terminals: 0, desks: 0, calls: 0 });
    const db = s().store.db.withTables<Tables>();
    expect(await db.selectFrom('calls').selectAll().execute()).toEqual([]);
    expect(await db.selectFrom('call_participants').selectAll().execute()).toEqual([]);
    // The credential is the gateway's own: the API neither lists it nor lets an admin rotate it.
    expect((await admin.call('POST', `/api/credentials/${probes[0]!.id}/rotate`)).status).toBe(404);
  });

  it('a revoked probe credential fails the probe with an error naming signaling, twice in a row is down, a renewed one is up again', async () => {
    const [credential] = (await s().credentials.list('probe')).filter((c) => c.revokedAt === null);
    const downs: unknown[] = [];
    s().probe.on('down', (d) => downs.push(d));
    await s().credentials.revoke({ type: 'system', id: null }, credential!.id);
    const first = await s().probe.probe();
    expect(first).toMatchObject({ ok: false, error: 'signaling: refused: unauthenticated' });
    expect(downs).toHaveLength(0);
    const second = await s().probe.probe();
    expect(second.error).toMatch(/^signaling: /);
    expect(downs).toHaveLength(1);
    expect(s().probe.down).toBe(true);
    expect(s().signaling.status()).toMatchObject({ terminals: 0, desks: 0 });

    // A fresh probe secret signs in on /probe, and nowhere else: not as an API token, not as a terminal.
    const { secret } = await s().credentials.renewProbe();
    await pingSignaling({ base: gw.base, secret }, new AbortController().signal);
    expect((await fetch(`${gw.base}/api/terminals`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(401);
    expect(await s().signaling.ctx.credentials.verify(secret)).toMatchObject({ kind: 'probe' });
  });
});
