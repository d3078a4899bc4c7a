// The PBX sends REFER (issue 13, "REFER both ways"): a terminal calls an extension
// through a real Kamailio (registrar and record-routing proxy); sipp answers as the
// extension and, once the test says go, sends REFERs in the dialog
// (scenarios/refer-in.xml): a foreign host → 403, a malformed Replaces → 400, the busy extension
// → 202, NOTIFY 100 then 486 (the call and its dialog stay), an extension that only
// rings → 202, NOTIFY 100, a second REFER meanwhile → 491, NOTIFY 408 after the leg
// timeout (CANCEL), the extension `target` (sipp, scenarios/answer.xml) → 202, NOTIFY
// 100, and once it answered: NOTIFY 200, the new telephone replaces
// the old one in the call (a participant of its own, the terminal's audio reaches it)
// and the old dialog gets its BYE; a REFER after that BYE → 481. A REFER outside any
// dialog is refused 403 by the account's guard.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { createSocket } from 'node:dgram';
import pino from 'pino';
import type { Socket } from 'socket.io-client';
import { startGateway } from '../support/gateway.ts';
import { seedSite, connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';
import { Kamailio } from '../support/kamailio.ts';
import { Sipp } from '../support/sipp.ts';
import { RtpCounter } from '../support/rtp-counter.ts';
import { pcmaMic } from '../support/sip-call-files.ts';
import type { SfuCallMedia } from '../../src/sfu/index.ts';
import { auditedFor } from '../support/audit-entries.ts';

const DOMAIN = 'portier.test';
const SCENARIOS = join(import.meta.dirname, 'scenarios');

describe('the PBX moves a call by REFER', () => {
  let kamailio: Kamailio;
  let gw: Gw;
  let site: SiteFixture;
  let referrer: Sipp;
  let target: Sipp;
  let busy: Sipp;
  let noanswer: Sipp;
  let byeReferrer: Sipp;
  let target2: Sipp;
  let entry: string;
  let byeEntry: string;
  const targets: Record<string, string> = {};
  const logs = new EventEmitter();
  const ears = { referrer: new RtpCounter(), target: new RtpCounter(), byeReferrer: new RtpCounter(), target2: new RtpCounter() };
  const open: Socket[] = [];
  const timers: NodeJS.Timeout[] = [];

  beforeAll(async () => {
    referrer = await Sipp.uas(join(SCENARIOS, 'refer-in.xml'), { rtp_port: await ears.referrer.bind() }, { calls: 1 });
    target = await Sipp.uas(join(SCENARIOS, 'answer.xml'), { rtp_port: await ears.target.bind() }, { calls: 1 });
    busy = await Sipp.uas(join(SCENARIOS, 'busy.xml'));
    noanswer = await Sipp.uas(join(SCENARIOS, 'no-answer.xml'));
    byeReferrer = await Sipp.uas(join(SCENARIOS, 'refer-bye.xml'), { rtp_port: await ears.byeReferrer.bind() }, { calls: 1 });
    target2 = await Sipp.uas(join(SCENARIOS, 'answer.xml'), { rtp_port: await ears.target2.bind() }, { calls: 1 });
    kamailio = await Kamailio.start({
      domain: DOMAIN, users: [{ username: 'lobby', password: 'lobby-secret-1' }],
      forward: { referrer: { host: '127.0.0.1', port: referrer.port }, target: { host: '127.0.0.1', port: target.port }, busy: { host: '127.0.0.1', port: busy.port }, noanswer: { host: '127.0.0.1', port: noanswer.port },
        byereferrer: { host: '127.0.0.1', port: byeReferrer.port }, target2: { host: '127.0.0.1', port: target2.port } },
    });
    const logger = pino({ level: 'info' }, new Writable({ write(chunk, _e, cb) { logs.emit('line', JSON.parse(String(chunk))); cb(); } }));
    gw = await startGateway({
      PORTIER_SIP__BIND_ADDRESS: '127.0.0.1',
      PORTIER_SIP__ACCOUNTS: `[{id: pbx, registrar: "127.0.0.1:${kamailio.port}", username: lobby, password: lobby-secret-1, domain: ${DOMAIN}}]`,
      // No mixing (docs: such calls stay two-party): a move replaces the telephone, it never makes three parties.
      PORTIER_RTC__MIX__MAX_PARTICIPANTS: '2',
    }, { logger });
    site = await seedSite(gw);
    const res = await site.admin.post('/api/sites/hq/phonebook', { kind: 'person', name: 'Referrer', routes: [{ type: 'sip', accountId: 'pbx', user: 'referrer' }], policy: { legTimeoutS: 5 } });
    expect(res.status).toBe(201);
    entry = res.body.id;
    const bye = await site.admin.post('/api/sites/hq/phonebook', { kind: 'person', name: 'Bye Referrer', routes: [{ type: 'sip', accountId: 'pbx', user: 'byereferrer' }], policy: { legTimeoutS: 5 } });
    expect(bye.status).toBe(201);
    byeEntry = bye.body.id;
    // A PBX moves a call only to what the phone book routes on the account (review s23 #15).
    for (const user of ['target', 'busy', 'noanswer', 'target2']) {
      const routed = await site.admin.post('/api/sites/hq/phonebook', { kind: 'person', name: `Extension ${user}`, routes: [{ type: 'sip', accountId: 'pbx', user }] });
      expect(routed.status).toBe(201);
      targets[user] = routed.body.id;
    }
  });

  afterAll(async () => {
    timers.forEach((t) => clearInterval(t));
    open.forEach((s) => s.close());
    await gw?.close();
    await kamailio?.close();
    for (const s of [referrer, target, busy, noanswer, byeReferrer, target2]) await s?.close();
    Object.values(ears).forEach((e) => e.close());
  });

  /** The next log line whose message starts with `prefix` and that matches `where`. */
  const logLine = (prefix: string, where: (l: Record<string, unknown>) => boolean = () => true) => new Promise<Record<string, unknown>>((resolve) => {
    const on = (line: Record<string, unknown>) => { if (String(line.msg).startsWith(prefix) && where(line)) { logs.off('line', on); resolve(line); } };
    logs.on('line', on);
  });
  /** An OPTIONS into a sipp's call (its Call-ID is Portier's): the scenario goes on. */
  const go = (sipp: Sipp, callId: string) => {
    const s = createSocket('udp4');
    s.send([
      `OPTIONS sip:uas@127.0.0.1:${sipp.port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-go-${callId.slice(0, 8)}`,
      'From: <sip:test@127.0.0.1>;tag=go', 'To: <sip:uas@127.0.0.1>', `Call-ID: ${callId}`, 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', '',
    ].join('\r\n'), sipp.port, '127.0.0.1', () => s.close());
  };
  const legs = () => [...gw.gateway.services.sipLegs.legs];

  it('a REFER outside any dialog is refused 403 (the account\'s guard); nothing is called', async () => {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    const answer = new Promise<string>((resolve) => s.once('message', (m) => resolve(String(m))));
    const port = gw.gateway.services.sip.account('pbx')!.transport!.port;
    s.send([
      `REFER sip:lobby@127.0.0.1:${port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${s.address().port};branch=z9hG4bK-ood-1;rport`,
      'From: <sip:evil@127.0.0.1>;tag=ood', 'To: <sip:lobby@portier.test>', 'Call-ID: ood-refer-1', 'CSeq: 1 REFER', 'Refer-To: <sip:0900123@evil.example>',
      'Max-Forwards: 70', 'Content-Length: 0', '', '',
    ].join('\r\n'), port, '127.0.0.1');
    expect((await answer).split('\r\n')[0]).toBe('SIP/2.0 403 Forbidden');
    s.close();
    expect(kamailio.requests('INVITE')).toEqual([]);
  });

  it('foreign host 403 (audited), malformed Replaces 400, busy target 486 keeps the call; the target answers: it replaces the old telephone, whose dialog gets BYE; REFER after BYE 481', async () => {
    const terminal = await connect(gw, '/terminal', site.terminal.cookie);
    open.push(terminal);
    const started = await ack(terminal, 'call.start', { entryId: entry });
    expect(started).toMatchObject({ ok: true });
    await next(terminal, 'call.state', (m: any) => m.step === 'answered');
    const call = gw.gateway.services.calls.get(started.callId);
    const old = call.participants.find((p) => p.kind === 'sip')!;
    // The terminal's audio (PCMA from a Node socket) goes to whichever telephone is in the call.
    const { mic, stop } = await pcmaMic(call.media as SfuCallMedia, site.terminal.id, 0x5eed, { timers });
    await ears.referrer.reach(8, 25);

    const foreign = logLine('sip: REFER refused', (l) => l.reason === 'foreign-target');
    const badReplaces = logLine('sip: REFER refused', (l) => l.reason === 'bad-replaces');
    const busyDone = logLine('sip: REFER done', (l) => l.status === 486);
    const running = logLine('sip: REFER refused', (l) => l.reason === 'running');
    const unanswered = logLine('sip: REFER done', (l) => l.status === 408);
    const done = logLine('sip: REFER done', (l) => l.answered === true);
    go(referrer, legs()[0]!.sipCallId!);
    const foreignLine = await foreign;
    // The host, never the user the far end tried (review s23 #17).
    expect(foreignLine).toMatchObject({ status: 403, host: 'evil.example' });
    expect(JSON.stringify(foreignLine)).not.toContain('target@');
    expect(await badReplaces).toMatchObject({ status: 400 });
    await busyDone;
    // The busy extension did not take it: the same telephone is still in the call.
    expect(call.hasParticipant(old.id)).toBe(true);
    expect(call.ended).toBe(false);
    // A second REFER while the one to the ringing extension runs: 491; unanswered within the leg timeout: 408, the call stays.
    await running;
    await unanswered;
    expect(call.hasParticipant(old.id)).toBe(true);
    await done;
    const targetLeg = legs().find((l) => l.participantId !== old.id)!;
    const now = call.participants.filter((p) => p.kind === 'sip');
    expect(now.map((p) => [p.id, p.leftAt === null])).toEqual([[old.id, false], [targetLeg.participantId, true]]);
    expect(call.answeredBy).toBe(targetLeg.participantId);
    expect(call.ended).toBe(false);
    // The terminal's audio reaches the new telephone.
    await ears.target.reach(8, 25);
    // The REFER to a foreign host is audited (the host, never the number).
    const audited = await auditedFor(site.admin, 'sip.refer-refused', () => true);
    expect(audited).toEqual([expect.objectContaining({ action: 'sip.refer-refused', outcome: 'denied', target_id: call.id })]);
    expect(JSON.stringify(audited[0])).toContain('evil.example');
    // The referrer checked 403, 400, 202 + NOTIFY 100/486, 202 + NOTIFY 100, 491, NOTIFY 200, got the BYE and a 481 after it.
    expect(await referrer.exited(), referrer.output.slice(-3000)).toBe(0);
    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended');
    expect(await ack(terminal, 'call.hangup', { callId: call.id })).toEqual({ ok: true });
    expect(await ended).toMatchObject({ reason: 'hangup-terminal' });
    expect(await target.exited(), target.output.slice(-3000)).toBe(0);
    stop();
    mic.close();
  });

  it('a transferor that hangs up right after its REFER was accepted (RFC 5589): the move goes on, the target answers and hears the terminal', async () => {
    const terminal = await connect(gw, '/terminal', site.terminal.cookie);
    open.push(terminal);
    const started = await ack(terminal, 'call.start', { entryId: byeEntry });
    expect(started).toMatchObject({ ok: true });
    await next(terminal, 'call.state', (m: any) => m.step === 'answered');
    const call = gw.gateway.services.calls.get(started.callId);
    const old = call.participants.find((p) => p.kind === 'sip')!;
    const { mic, stop } = await pcmaMic(call.media as SfuCallMedia, site.terminal.id, 0x5eee, { timers });
    const done = logLine('sip: REFER done', (l) => l.callId === call.id);
    const notRouted = logLine('sip: REFER refused', (l) => l.reason === 'not-routed');
    go(byeReferrer, legs().find((l) => l.participantId === old.id)!.sipCallId!);
    // The transferor got 202 and NOTIFY 100, sent its BYE and had it answered.
    expect(await byeReferrer.exited(), byeReferrer.output.slice(-3000)).toBe(0);
    expect(await done).toMatchObject({ answered: true });
    expect(call.ended).toBe(false);
    const moved = call.participants.filter((p) => p.kind === 'sip' && p.leftAt === null);
    expect(moved).toHaveLength(1);
    expect(moved[0]!.id).not.toBe(old.id);
    expect(call.answeredBy).toBe(moved[0]!.id);
    await ears.target2.reach(8, 25);
    // First it REFERred to a number at the account's domain that no entry routes: 403, audited with the host only.
    expect(await notRouted).toMatchObject({ status: 403, host: DOMAIN });
    const premium = await auditedFor(site.admin, 'sip.refer-refused', (e: { target_id: string }) => e.target_id === call.id);
    expect(premium).toEqual([expect.objectContaining({ outcome: 'denied' })]);
    expect(JSON.stringify(premium)).not.toContain('900123456');
    // The move is audited naming the entry, and is a leg of the call.
    const moves = await auditedFor(site.admin, 'call.moved', (e: { correlation_id: string }) => e.correlation_id === call.id);
    expect(moves).toEqual([
      expect.objectContaining({ actor_id: old.id, target_type: 'phonebook-entry', target_id: targets.target2, outcome: 'ok' }),
    ]);
    expect(call.legs.at(-1)).toMatchObject({ route: { type: 'sip', user: 'target2' }, state: 'answered', answeredBy: moved[0]!.id });
    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended');
    expect(await ack(terminal, 'call.hangup', { callId: call.id })).toEqual({ ok: true });
    expect(await ended).toMatchObject({ reason: 'hangup-terminal' });
    expect(await target2.exited(), target2.output.slice(-3000)).toBe(0);
    stop();
    mic.close();
  });
});
