// Opening hours through the real gateway: the admin sets them over the site API,
// and a terminal's call.start inside them rings the entry, outside them rings
// only the after-hours route, or is refused with `closed` when there is none.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { startGateway, ApiClient } from '../support/gateway.ts';
import { seedSite, connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';

const ALL_WEEK = [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], from: '00:00', to: '24:00' }];

describe('opening hours', () => {
  let gw: Gw;
  let site: SiteFixture;
  let security: string;
  const open: Socket[] = [];
  const client = async (ns: '/terminal' | '/desk', cookie: string) => {
    const s = await connect(gw, ns, cookie);
    open.push(s);
    return s;
  };
  const setHours = (body: unknown, as = site.admin) => as.call('PUT', '/api/sites/hq/opening-hours', body);

  beforeAll(async () => {
    gw = await startGateway();
    site = await seedSite(gw);
    const res = await site.admin.post('/api/sites/hq/phonebook', { kind: 'department', name: 'Security', routes: [{ type: 'desk-user', userId: site.users.rolf!.id }], policy: { legTimeoutS: 5 } });
    security = res.body.id;
  });
  afterAll(async () => {
    open.forEach((s) => s.close());
    await gw?.close();
  });

  it('only an admin of the site sets them; bad periods and foreign entries are refused by name', async () => {
    const host = new ApiClient(gw.base);
    host.cookie = site.users.anna!.cookie;
    expect((await setHours({ hours: ALL_WEEK, afterHoursEntryId: null }, host)).status).toBe(403);
    expect((await setHours({ hours: [{ days: ['mon'], from: '09:00', to: '09:00' }], afterHoursEntryId: null })).body).toMatchObject({ error: 'invalid' });
    expect((await setHours({ hours: ALL_WEEK, afterHoursEntryId: 'no-such-entry' })).body).toMatchObject({ error: 'not-found' });
    expect((await site.admin.get('/api/sites/hq/opening-hours')).body).toEqual({ hours: null, afterHoursEntryId: null });
    expect((await setHours({ hours: ALL_WEEK, afterHoursEntryId: security })).status).toBe(200);
    expect((await site.admin.get('/api/sites/hq/opening-hours')).body).toEqual({ hours: ALL_WEEK, afterHoursEntryId: security });
    // One audit entry per change that was made (the refused ones changed nothing).
    const audit = await site.admin.get('/api/audit?action=site.hours');
    expect(audit.body).toHaveLength(1);
  });

  it('inside the hours: the entry rings', async () => {
    expect((await setHours({ hours: ALL_WEEK, afterHoursEntryId: security })).status).toBe(200);
    const anna = await client('/desk', site.users.anna!.cookie);
    const terminal = await client('/terminal', site.terminal.cookie);
    const ring = next(anna, 'call.ring');
    const started = await ack(terminal, 'call.start', { entryId: site.entries['Anna Müller'] });
    expect(started).toMatchObject({ ok: true, state: { step: 'ringing', target: 'person' } });
    expect(await ring).toMatchObject({ callId: started.callId });
    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended');
    expect(await ack(terminal, 'call.hangup', { callId: started.callId })).toEqual({ ok: true });
    expect(await ended).toMatchObject({ outcome: 'cancelled' });
    anna.close();
    terminal.close();
  });

  it('outside the hours with an after-hours route: only that route rings, and it answers', async () => {
    expect((await setHours({ hours: [], afterHoursEntryId: security })).status).toBe(200);
    const anna = await client('/desk', site.users.anna!.cookie);
    const rolf = await client('/desk', site.users.rolf!.cookie);
    const rita = await client('/desk', site.users.rita!.cookie);
    const terminal = await client('/terminal', site.terminal.cookie);
    const ring = next(rolf, 'call.ring');
    const started = await ack(terminal, 'call.start', { entryId: site.entries['Anna Müller'] });
    expect(started).toMatchObject({ ok: true, state: { step: 'ringing', target: 'person' } });
    expect(await ring).toMatchObject({ callId: started.callId });
    const answered = next(terminal, 'call.state', (m: any) => m.step === 'answered');
    expect(await ack(rolf, 'call.answer', { callId: started.callId })).toMatchObject({ ok: true });
    await answered;
    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended');
    expect(await ack(rolf, 'call.hangup', { callId: started.callId })).toEqual({ ok: true });
    await ended;
    // Neither the host nor the reception was rung.
    for (const other of [anna, rita]) await expect(next(other, 'call.ring', () => true, 0)).rejects.toThrow(/no call.ring/);
    for (const s of [anna, rolf, rita, terminal]) s.close();
  });

  it('outside the hours without an after-hours route: call.start is refused with closed and nobody rings', async () => {
    expect((await setHours({ hours: [], afterHoursEntryId: null })).status).toBe(200);
    const rita = await client('/desk', site.users.rita!.cookie);
    const terminal = await client('/terminal', site.terminal.cookie);
    const refused = await ack(terminal, 'call.start', { entryId: site.entries['Empfang'] });
    expect(refused).toMatchObject({ ok: false, error: 'closed' });
    // The terminal can still do everything else, and no call is left behind.
    expect(await ack(terminal, 'phonebook.reception', {})).toMatchObject({ ok: true });
    expect(gw.gateway.services.calls.activeCalls).toEqual([]);
    await expect(next(rita, 'call.ring', () => true, 0)).rejects.toThrow(/no call.ring/);
    rita.close();
    terminal.close();
  });
});
