// Portier sends REFER (issue 13, "REFER both ways"): a caller from the PBX, answered
// at a desk, is transferred by the desk to a phone-book entry routed to an extension
// of the same account — the PBX (sipp as a UAC, as in inbound-call.test.ts) gets a
// REFER in the call's dialog (Refer-To <sip:7002@portier.test>, Referred-By), answers
// it, and tells how it went by NOTIFY message/sipfrag. 100 keeps the call; 200 ends it
// `transferred` with Portier's BYE; 486 in the NOTIFY or 403 to the REFER keeps the
// call with the desk, which is told call.refer-failed; a second transfer while one
// runs is refused (call.refer-running); RFC 4488's Refer-Sub: false counts as done; a
// host without call.transfer sends no REFER; the PBX's own REFER to a number the
// phone book does not route is refused 403.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Socket } from 'socket.io-client';
import { startGateway, ApiClient } from '../support/gateway.ts';
import { seedSite, connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';
import { Kamailio } from '../support/kamailio.ts';
import { Sipp } from '../support/sipp.ts';
import { RtpCounter } from '../support/rtp-counter.ts';
import { received, ackOf } from '../support/sip-tap.ts';
import { sipfragStatus } from '../../src/sip-bridge/index.ts';
import { writeReferScenarios, type ReferScenario } from './refer-scenarios.ts';
import { auditedFor } from '../support/audit-entries.ts';

const DOMAIN = 'portier.test';
const TRUNK = { user: 'pbx-in', password: 'trunk-secret-7' };

describe('a desk transfers a PBX caller by REFER', () => {
  let kamailio: Kamailio;
  let gw: Gw;
  let site: SiteFixture;
  let dataDir: string;
  let scenarioDir: string;
  let scenarios: Record<ReferScenario, string>;
  let extensionEntry: string;
  let admin: ApiClient;
  const logs = new EventEmitter();
  const open: Socket[] = [];
  const counters: RtpCounter[] = [];
  const sipps: Sipp[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'portier-refer-'));
    scenarioDir = mkdtempSync(join(tmpdir(), 'portier-refer-sipp-'));
    scenarios = writeReferScenarios(scenarioDir);
    kamailio = await Kamailio.start({ domain: DOMAIN, users: [{ username: 'lobby', password: 'lobby-secret-1' }] });
    const seeding = await startGateway({ PORTIER_DATA_DIR: dataDir });
    site = await seedSite(seeding);
    await seeding.close();
    const numbers = `[{number: "4700", entry: "${site.entries['Empfang']}"}]`;
    const logger = pino({ level: 'info' }, new Writable({ write(chunk, _e, cb) { logs.emit('line', JSON.parse(String(chunk))); cb(); } }));
    gw = await startGateway({
      PORTIER_DATA_DIR: dataDir,
      PORTIER_SIP__BIND_ADDRESS: '127.0.0.1',
      PORTIER_SIP__ACCOUNTS: `[{id: pbx, registrar: "127.0.0.1:${kamailio.port}", username: lobby, password: lobby-secret-1, domain: ${DOMAIN}, `
        + `inbound: {username: ${TRUNK.user}, password: ${TRUNK.password}, numbers: ${numbers}}}]`,
    }, { logger });
    admin = new ApiClient(gw.base);
    admin.cookie = site.admin.cookie;
    // The entry a desk transfers to: extension 7002 on the caller's own PBX.
    const created = await admin.post('/api/sites/hq/phonebook', { kind: 'person', name: 'Paul (DECT)', routes: [{ type: 'sip', accountId: 'pbx', user: '7002' }], policy: { legTimeoutS: 5 } });
    expect(created.status).toBe(201);
    extensionEntry = created.body.id;
  });

  afterAll(async () => {
    open.forEach((s) => s.close());
    for (const s of sipps) await s.close();
    await gw?.close();
    await kamailio?.close();
    counters.forEach((c) => c.close());
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(scenarioDir, { recursive: true, force: true });
  });

  const desk = async (login: 'rita' | 'anna') => {
    const s = await connect(gw, '/desk', site.users[login]!.cookie);
    open.push(s);
    return s;
  };
  const account = () => gw.gateway.services.sip.account('pbx')!;
  const routers = () => gw.gateway.services.sfu.status().reduce((n, w) => n + w.routers, 0);
  /** The next log line whose message starts with `prefix`. */
  const logLine = (prefix: string) => new Promise<Record<string, unknown>>((resolve) => {
    const on = (line: Record<string, unknown>) => { if (String(line.msg).startsWith(prefix)) { logs.off('line', on); resolve(line); } };
    logs.on('line', on);
  });

  /** The PBX calls the reception's number with the scenario; Rita answers. */
  const answeredCall = async (scenario: ReferScenario, rita: Socket) => {
    const ear = new RtpCounter();
    counters.push(ear);
    const target = `127.0.0.1:${account().transport!.port}`;
    const sipp = await Sipp.uac(scenarios[scenario], target, {
      keys: { dialled: '4700', rtp_port: await ear.bind() }, auth: { user: TRUNK.user, password: TRUNK.password, uri: `4700@${target}` },
    });
    sipps.push(sipp);
    // The PBX's ACK of the 200 (CSeq 2), tapped before it can come.
    const acked = received(account().transport!, ackOf(`1-${sipp.pid}@127.0.0.1`, 2));
    const ring = await next(rita, 'call.ring');
    expect(await ack(rita, 'call.answer', { callId: ring.callId })).toMatchObject({ ok: true });
    const call = gw.gateway.services.calls.get(ring.callId);
    const phone = call.participants.find((p) => p.kind === 'sip')!;
    expect(phone).toMatchObject({ id: call.terminalId, leftAt: null });
    // The desk's answer returns before the 200/ACK: a transfer before the dialog is established is not a
    // REFER (Portier rings the entry itself) — the final fresh-clone run of stop 23 failed there ({ ok: true }).
    // Nor before the PBX's ACK: sipp takes a request only while it stands on a <recv>, and until its ACK has left
    // it stands on the 200's and the ACK's steps. Portier's dialog is established once its 200 left, so on a loaded
    // machine sipp read the 200 and the REFER in one go: the REFER was "unexpected", sipp aborted the call (BYE),
    // and the desk's transfer got no answer (the fresh-clone runs of stop 25).
    const exited = await Promise.race([acked.then(() => undefined), sipp.exited()]);
    if (exited !== undefined) throw new Error(`sipp ended (${exited}) before its ACK:\n${sipp.output.slice(-3000)}`);
    const session = gw.gateway.services.sipInbound.byParticipant(phone.id)!.session!;
    if (session.state !== 'Established') {
      await new Promise<void>((resolve) => {
        const on = (state: string) => { if (state === 'Established') { session.stateChange.removeListener(on); resolve(); } };
        session.stateChange.addListener(on);
      });
    }
    return { sipp, call, phone, ear };
  };

  /** The test's go for the PBX's final NOTIFY: an OPTIONS into sipp's call. */
  const go = (sipp: Sipp, ear: RtpCounter) => ear.socket.send([
    `OPTIONS sip:pbx@127.0.0.1:${sipp.port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${ear.socket.address().port};branch=z9hG4bK-go-${sipp.pid}`,
    'From: <sip:test@127.0.0.1>;tag=go', 'To: <sip:pbx@127.0.0.1>', `Call-ID: 1-${sipp.pid}@127.0.0.1`, 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', '',
  ].join('\r\n'), sipp.port, '127.0.0.1');

  it('reads the status of a message/sipfrag body', () => {
    expect(sipfragStatus('SIP/2.0 100 Trying\r\n')).toBe(100);
    expect(sipfragStatus('SIP/2.0 486 Busy Here')).toBe(486);
    expect(sipfragStatus('INVITE sip:x SIP/2.0')).toBeUndefined();
    expect(sipfragStatus(undefined)).toBeUndefined();
  });

  it('202, NOTIFY 100 keeps the call, a second transfer meanwhile is refused, NOTIFY 200 ends it transferred with a BYE, audited', async () => {
    const rita = await desk('rita');
    const { sipp, call, phone, ear } = await answeredCall('refer-ok', rita);
    const accepted = logLine('sip: the PBX accepted the REFER');
    const trying = logLine('sip: the PBX reports on the transfer');
    const transfer = ack(rita, 'call.transfer', { callId: call.id, entryId: extensionEntry });
    expect(await accepted).toMatchObject({ status: 202, number: '7002' });
    // NOTIFY 100 Trying answered: the call goes on.
    expect(await trying).toMatchObject({ status: 100 });
    // While the PBX transfers: both still in the call, a second transfer is refused by name.
    expect(call.ended).toBe(false);
    expect(call.hasParticipant(phone.id) && call.hasParticipant(site.users.rita!.id)).toBe(true);
    expect(await ack(rita, 'call.transfer', { callId: call.id, entryId: extensionEntry })).toMatchObject({ ok: false, error: 'conflict', reason: 'call.refer-running' });
    const ended = next(rita, 'call.state', (m: any) => m.step === 'ended' && m.callId === call.id);
    go(sipp, ear);
    expect(await transfer).toEqual({ ok: true });
    expect(await ended).toMatchObject({ reason: 'transferred', outcome: 'answered' });
    expect(call.participants.every((p) => p.leftAt !== null)).toBe(true);
    // sipp checked Refer-To and Referred-By, got 200 to both NOTIFYs and the BYE.
    expect(await sipp.exited(), sipp.output.slice(-3000)).toBe(0);
    const audit = await admin.get(`/api/audit?action=call.transfer`);
    expect(audit.body).toEqual(expect.arrayContaining([expect.objectContaining({ target_id: call.id, actor_id: site.users.rita!.id })]));
    expect(routers()).toBe(0);
  });

  it('NOTIFY 486: the call stays with the desk, which is told call.refer-failed (486)', async () => {
    const rita = await desk('rita');
    const { sipp, call, phone, ear } = await answeredCall('refer-busy', rita);
    const trying = logLine('sip: the PBX reports on the transfer');
    const transfer = ack(rita, 'call.transfer', { callId: call.id, entryId: extensionEntry });
    expect(await trying).toMatchObject({ status: 100 });
    go(sipp, ear);
    expect(await transfer).toMatchObject({ ok: false, error: 'unavailable', reason: 'call.refer-failed', params: { status: 486 } });
    expect(call.ended).toBe(false);
    expect(call.hasParticipant(phone.id) && call.hasParticipant(site.users.rita!.id)).toBe(true);
    const ended = next(rita, 'call.state', (m: any) => m.step === 'ended' && m.callId === call.id);
    expect(await ack(rita, 'call.hangup', { callId: call.id })).toEqual({ ok: true });
    expect(await ended).toMatchObject({ reason: 'hangup-desk' });
    expect(await sipp.exited(), sipp.output.slice(-3000)).toBe(0);
  });

  it('the REFER refused 403: the call stays, the desk is told call.refer-failed (403)', async () => {
    const rita = await desk('rita');
    const { sipp, call, phone } = await answeredCall('refer-refused', rita);
    expect(await ack(rita, 'call.transfer', { callId: call.id, entryId: extensionEntry })).toMatchObject({ ok: false, error: 'unavailable', reason: 'call.refer-failed', params: { status: 403 } });
    expect(call.ended).toBe(false);
    expect(call.hasParticipant(phone.id)).toBe(true);
    const ended = next(rita, 'call.state', (m: any) => m.step === 'ended' && m.callId === call.id);
    expect(await ack(rita, 'call.hangup', { callId: call.id })).toEqual({ ok: true });
    await ended;
    // sipp's scenario has exactly one REFER: a second one would fail it.
    expect(await sipp.exited(), sipp.output.slice(-3000)).toBe(0);
  });

  it('RFC 4488: a 202 with Refer-Sub: false (no NOTIFY will come) counts as transferred', async () => {
    const rita = await desk('rita');
    const { sipp, call } = await answeredCall('refer-norefersub', rita);
    const ended = next(rita, 'call.state', (m: any) => m.step === 'ended' && m.callId === call.id);
    expect(await ack(rita, 'call.transfer', { callId: call.id, entryId: extensionEntry })).toEqual({ ok: true });
    expect(await ended).toMatchObject({ reason: 'transferred' });
    expect(await sipp.exited(), sipp.output.slice(-3000)).toBe(0);
  });

  it('a REFER of the PBX in an inbound call to a number no phone-book entry routes is refused 403, logged and audited; nothing is called (sip.js would have followed it)', async () => {
    const rita = await desk('rita');
    const refused = logLine('sip: REFER refused');
    const { sipp, call } = await answeredCall('pbx-refers', rita);
    // The account's own server host, but a premium number the phone book does not route (refer-inbound.test.ts moves calls).
    expect(await refused).toMatchObject({ status: 403, reason: 'not-routed', callId: call.id, host: '127.0.0.1' });
    const audited = await auditedFor(admin, 'sip.refer-refused', (e: { target_id: string }) => e.target_id === call.id);
    expect(audited).toEqual([expect.objectContaining({ outcome: 'denied' })]);
    expect(JSON.stringify((await admin.get('/api/audit?action=sip.refer-refused')).body)).not.toContain('0900666');
    expect(call.ended).toBe(false);
    const ended = next(rita, 'call.state', (m: any) => m.step === 'ended' && m.callId === call.id);
    expect(await ack(rita, 'call.hangup', { callId: call.id })).toEqual({ ok: true });
    await ended;
    expect(await sipp.exited(), sipp.output.slice(-3000)).toBe(0);
    expect(kamailio.requests('INVITE')).toEqual([]);
  });
});
