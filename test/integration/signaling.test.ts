// socket.io clients against a started gateway: authentication and role
// separation, validation, routing, group answers, reconnection, revocation,
// and cleanup of every router a call created.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Socket } from 'socket.io-client';
import { startGateway, ApiClient } from '../support/gateway.ts';
import { seedSite, connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';

describe('signaling', () => {
  let gw: Gw;
  let site: SiteFixture;
  const open: Socket[] = [];
  const client = async (ns: '/terminal' | '/desk', cookie: string) => {
    const s = await connect(gw, ns, cookie);
    open.push(s);
    return s;
  };
  const routers = () => gw.gateway.services.sfu.status().reduce((n, w) => n + w.routers, 0);

  beforeAll(async () => {
    gw = await startGateway({ PORTIER_CALLS__RECONNECT_GRACE_SECONDS: '1' });
    site = await seedSite(gw);
  });
  afterAll(async () => {
    open.forEach((s) => s.close());
    await gw?.close();
  });

  it('authenticates every connection and keeps terminals and desks apart', async () => {
    await expect(connect(gw, '/terminal', '')).rejects.toThrow(/unauthenticated/);
    await expect(connect(gw, '/desk', site.terminal.cookie)).rejects.toThrow(/unauthenticated/);
    await expect(connect(gw, '/terminal', site.users.anna!.cookie)).rejects.toThrow(/unauthenticated/);
    await expect(connect(gw, '/desk', site.users.gus!.cookie)).rejects.toThrow(/call.answer/);
    const terminal = await client('/terminal', site.terminal.cookie);
    // A terminal cannot use desk events.
    expect(await ack(terminal, 'call.answer', { callId: 'x' })).toEqual({ ok: false, error: 'invalid', reason: 'event.unknown', params: { event: 'call.answer' }, message: 'unknown event call.answer' });
    terminal.close();
  });

  it('refuses a reused pairing code', async () => {
    const created = (await site.admin.post('/api/terminals', { name: 'Lobby 2', siteId: 'hq' })).body;
    const kiosk = new ApiClient(gw.base);
    const first = await kiosk.post('/api/terminal/pair', { code: created.pairing.code });
    expect(first.status).toBe(200);
    expect(first.headers.get('set-cookie')).toMatch(/portier_terminal=.*HttpOnly.*Secure|portier_terminal=.*Secure.*HttpOnly/);
    const again = await new ApiClient(gw.base).post('/api/terminal/pair', { code: created.pairing.code });
    expect(again.status).toBe(400);
    expect(again.body.message).toMatch(/invalid, expired or already used/);
  });

  it('answers a bad payload with a named error and keeps serving', async () => {
    const terminal = await client('/terminal', site.terminal.cookie);
    onTestFinished(() => { terminal.close(); }); // a failed assertion must not leave the terminal connected for the next test
    expect(await ack(terminal, 'call.start', { entryId: 42 })).toMatchObject({ ok: false, error: 'invalid' });
    expect(await ack(terminal, 'call.start', { entryId: 'nope' })).toMatchObject({ ok: false, error: 'not-found' });
    expect(await ack(terminal, 'phonebook.search', { q: 'x'.repeat(500) })).toMatchObject({ ok: false, error: 'invalid' });
    // 300 kB: a named error, and the connection stays (it used to be closed without a word).
    const big = { callId: 'c', transportId: 't', dtlsParameters: { fingerprints: 'x'.repeat(300_000) } };
    expect(await ack(terminal, 'media.connect', big)).toMatchObject({ ok: false, error: 'invalid', message: expect.stringMatching(/^payload too large: 3\d{5} bytes, at most 65536$/) });
    expect(terminal.connected).toBe(true);
    expect(await ack(terminal, 'phonebook.reception', {})).toMatchObject({ ok: true, entry: { id: site.entries['Empfang'], kind: 'reception' } });
    const found = await ack(terminal, 'phonebook.search', { q: 'mueller' });
    // Availability is personal data on a public screen: off until the site's start screen allows it (7e3679f).
    expect(found.results).toEqual([expect.objectContaining({ name: 'Anna Müller', department: 'Einkauf' })]);
    expect(found.results[0]).not.toHaveProperty('presence');
    terminal.close();
  });

  it('rings the host, connects on answer, and closes every router when the call ends', async () => {
    const desk = await client('/desk', site.users.anna!.cookie);
    const terminal = await client('/terminal', site.terminal.cookie);
    const ring = next(desk, 'call.ring');
    const started = await ack(terminal, 'call.start', { entryId: site.entries['Anna Müller'] });
    expect(started).toMatchObject({ ok: true, state: { step: 'ringing', target: 'person' }, audioCodec: 'audio/opus' });
    expect((await ring)).toMatchObject({ callId: started.callId, hasDoor: true, terminal: { name: 'Lobby 1', siteName: 'Headquarters' } });
    expect(routers()).toBe(1);
    const answered = next(terminal, 'call.state', (m: any) => m.step === 'answered');
    const answer = await ack(desk, 'call.answer', { callId: started.callId });
    expect(answer).toMatchObject({ ok: true, terminal: { id: site.terminal.id, hasDoor: true } });
    await answered;
    // Terminal media: a transport on the call's router.
    const t = await ack(terminal, 'media.transport', { callId: started.callId });
    expect(t.transport.iceCandidates.length).toBeGreaterThan(0);
    // A send and a receive transport per party, no more.
    expect(await ack(terminal, 'media.transport', { callId: started.callId })).toMatchObject({ ok: true });
    expect(await ack(terminal, 'media.transport', { callId: started.callId })).toMatchObject({ ok: false, error: 'conflict' });
    // Opening the door from the call is tested with a real door controller in door-from-call.test.ts.

    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended');
    expect(await ack(desk, 'call.hangup', { callId: started.callId })).toEqual({ ok: true });
    expect(await ended).toMatchObject({ reason: 'hangup-desk', outcome: 'answered' });
    expect(routers()).toBe(0);
    desk.close();
    terminal.close();
  });

  it('answers call.answer on a cancelled call with conflict and on an unknown call with not-found', async () => {
    const desk = await client('/desk', site.users.anna!.cookie);
    const terminal = await client('/terminal', site.terminal.cookie);
    const ring = next(desk, 'call.ring');
    const { callId } = await ack(terminal, 'call.start', { entryId: site.entries['Anna Müller'] });
    await ring;
    const stopped = next(desk, 'call.stop-ring');
    expect(await ack(terminal, 'call.hangup', { callId })).toEqual({ ok: true });
    expect(await stopped).toEqual({ callId, reason: 'cancelled' });
    expect(await ack(desk, 'call.answer', { callId })).toMatchObject({ ok: false, error: 'conflict', message: 'this call has ended' });
    expect(await ack(desk, 'call.answer', { callId: 'no-such-call' })).toMatchObject({ ok: false, error: 'not-found' });
    expect(routers()).toBe(0);
    desk.close();
    terminal.close();
  });

  it('tells a declining desk call.stop-ring once, and rings the reception next', async () => {
    const anna = await client('/desk', site.users.anna!.cookie);
    const rita = await client('/desk', site.users.rita!.cookie);
    const terminal = await client('/terminal', site.terminal.cookie);
    const stops: unknown[] = [];
    anna.on('call.stop-ring', (m) => stops.push(m));
    const ring = next(anna, 'call.ring');
    const { callId } = await ack(terminal, 'call.start', { entryId: site.entries['Anna Müller'] });
    await ring;
    const reception = next(terminal, 'call.state', (m: any) => m.target === 'reception');
    const ritaRing = next(rita, 'call.ring');
    expect(await ack(anna, 'call.decline', { callId })).toEqual({ ok: true });
    await Promise.all([reception, ritaRing]);
    // A round trip on anna's socket: whatever the gateway sent her before has arrived.
    await ack(anna, 'presence.set', { state: 'available' });
    expect(stops).toEqual([{ callId, reason: 'declined' }]);
    await ack(terminal, 'call.hangup', { callId });
    [anna, rita, terminal].forEach((s) => s.close());
  });

  it('moves on to the reception when the host does not answer; two receptionists answering at once: exactly one wins', async () => {
    const anna = await client('/desk', site.users.anna!.cookie);
    const rita = await client('/desk', site.users.rita!.cookie);
    const rolf = await client('/desk', site.users.rolf!.cookie);
    const terminal = await client('/terminal', site.terminal.cookie);
    const missed = next(anna, 'call.missed');
    const reception = next(terminal, 'call.state', (m: any) => m.target === 'reception');
    const ringRita = next(rita, 'call.ring');
    const ringRolf = next(rolf, 'call.ring');
    const { callId } = await ack(terminal, 'call.start', { entryId: site.entries['Anna Müller'] });
    await next(anna, 'call.ring');
    await reception;
    await Promise.all([ringRita, ringRolf, missed]);
    const results = await Promise.all([ack(rita, 'call.answer', { callId }), ack(rolf, 'call.answer', { callId })]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok)[0]).toMatchObject({ error: 'conflict' });
    const winner = results[0]!.ok ? rita : rolf;
    await ack(winner, 'call.hangup', { callId });
    expect(routers()).toBe(0);
    [anna, rita, rolf, terminal].forEach((s) => s.close());
  });

  it('gives a terminal that reconnects within the grace period its call back, and ends the call after it', async () => {
    const desk = await client('/desk', site.users.anna!.cookie);
    let terminal = await client('/terminal', site.terminal.cookie);
    const ring = next(desk, 'call.ring');
    const { callId } = await ack(terminal, 'call.start', { entryId: site.entries['Anna Müller'] });
    await ring;
    await ack(desk, 'call.answer', { callId });
    terminal.close();
    terminal = await client('/terminal', site.terminal.cookie);
    const resumed = await next(terminal, 'call.resume');
    expect(resumed).toMatchObject({ callId, state: { step: 'answered' } });
    const ended = next(desk, 'call.state', (m: any) => m.step === 'ended', 5000);
    terminal.close();
    expect(await ended).toMatchObject({ callId, reason: 'disconnected' });
    expect(routers()).toBe(0);
    desk.close();
  });

  it('ends a call with media-failure when its worker dies, and places the next call on the replacement', async () => {
    const rita = await client('/desk', site.users.rita!.cookie);
    const terminal = await client('/terminal', site.terminal.cookie);
    const { callId, state } = await ack(terminal, 'call.start', { entryId: site.entries['Empfang'] });
    expect(state.step).toBe('ringing');
    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended');
    const replaced = new Promise((resolve) => gw.gateway.services.sfu.once('workerreplaced', resolve));
    process.kill(gw.gateway.services.sfu.status()[0]!.pid!, 'SIGKILL');
    expect(await ended).toMatchObject({ callId, reason: 'media-failure' });
    await replaced;
    const again = await ack(terminal, 'call.start', { entryId: site.entries['Empfang'] });
    expect(again).toMatchObject({ ok: true });
    expect(routers()).toBe(1);
    await ack(terminal, 'call.hangup', { callId: again.callId });
    expect(routers()).toBe(0);
    terminal.close();
    rita.close();
  });

  it('ends a kiosk\'s connection when its secret is rotated', async () => {
    const created = (await site.admin.post('/api/terminals', { name: 'Lobby 4', siteId: 'hq' })).body;
    const kiosk = new ApiClient(gw.base);
    await kiosk.post('/api/terminal/pair', { code: created.pairing.code });
    const terminal = await client('/terminal', kiosk.cookie!);
    const kicked = new Promise((resolve) => terminal.once('disconnect', resolve));
    expect((await site.admin.post(`/api/credentials/${created.terminal.id}/rotate`)).status).toBe(200);
    expect(await kicked).toBe('io server disconnect');
  });

  it('disconnects a desk the moment its session ends (logout), without waiting for its next event', async () => {
    const login = new ApiClient(gw.base);
    expect((await login.post('/api/auth/login', { login: 'rolf', password: 'a long enough password' })).status).toBe(200);
    const cookie = login.cookie!;
    const desk = await client('/desk', cookie);
    expect(await ack(desk, 'history.list', {})).toMatchObject({ ok: true });
    const gone = new Promise((resolve) => desk.once('disconnect', resolve));
    expect((await login.post('/api/auth/logout')).status).toBe(200);
    expect(await gone).toBe('io server disconnect');
    // The desk's session cookie no longer opens the desk namespace.
    await expect(connect(gw, '/desk', cookie)).rejects.toThrow(/unauthenticated/);
  });

  it('disconnects a revoked terminal at once', async () => {
    const res = await site.admin.post('/api/terminals', { name: 'Lobby 3', siteId: 'hq' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const created = res.body;
    const kiosk = new ApiClient(gw.base);
    await kiosk.post('/api/terminal/pair', { code: created.pairing.code });
    const terminal = await client('/terminal', kiosk.cookie!);
    const gone = new Promise((resolve) => terminal.once('disconnect', resolve));
    expect((await site.admin.post(`/api/credentials/${created.terminal.id}/revoke`)).status).toBe(200);
    expect(await gone).toBe('io server disconnect');
    await expect(connect(gw, '/terminal', kiosk.cookie!)).rejects.toThrow(/unauthenticated/);
  });
});
