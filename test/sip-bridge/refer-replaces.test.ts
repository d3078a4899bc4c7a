// An attended transfer from the PBX (issue 13, REFER with Replaces, RFC 3891): the
// PBX's phone X (sipp, pbx-move-scenarios.ts 'pbx-attended') calls Portier's AOR
// through a real Kamailio and Rita's desk answers; X has consulted the targets
// itself (dialogs Portier never sees) and sends REFERs whose Refer-To carries
// `?Replaces=`: a malformed one → 400 bad-replaces; one to a number no entry
// routes → 403 (audited); to `yrefuses` (sipp, scenarios/replaces-refuse.xml: the
// INVITE must carry the Replaces and Require: replaces; it answers 481) → 202,
// NOTIFY 100 then 481, the call stays with X; to `ytarget` (scenarios/
// replaces-answer.xml, the same checks for its consult dialog; it rings until the
// test says go) → 202, NOTIFY 100, a second REFER meanwhile → 491, and once Y
// answered NOTIFY 200 and BYE of X's dialog: Y is the call's caller now (the desk
// gets call.caller), hears the desk; the moves are audited (call.moved, attended)
// and legs of the call's record. The same from a telephone a terminal called
// (`xout`, scenarios/replaces-refer.xml): its Replaces REFER moves the visitor to
// `ytarget2`, whose sipp checks the INVITE's Replaces, and the terminal's audio
// reaches it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ApiClient } from '../support/gateway.ts';
import { startSeededSipGateway } from '../support/sip-gateway.ts';
import { StartedPeers, gatewayLog, pbxAnswered, pcmaMic, routedExtensions } from '../support/sip-call-files.ts';
import { connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';
import { Kamailio } from '../support/kamailio.ts';
import { Sipp } from '../support/sipp.ts';
import { RtpCounter } from '../support/rtp-counter.ts';
import type { SfuCallMedia } from '../../src/sfu/index.ts';
import { untilAccount } from './account-state.ts';
import { writePbxMoveScenarios, type PbxMoveScenario } from './pbx-move-scenarios.ts';
import { auditedFor } from '../support/audit-entries.ts';

const DOMAIN = 'portier.test';
const SCENARIOS = join(import.meta.dirname, 'scenarios');
const PBX = { user: '7001', password: 'pbx-secret-1' };

describe('the PBX hands its caller over after consulting the target (attended transfer, REFER with Replaces)', () => {
  let kamailio: Kamailio;
  let gw: Gw;
  let site: SiteFixture;
  let admin: ApiClient;
  let scenarios: Record<PbxMoveScenario, string>;
  let ytarget: Sipp;
  let yrefuses: Sipp;
  let xout: Sipp;
  let ytarget2: Sipp;
  const xoutEar = new RtpCounter();
  const target2Ear = new RtpCounter();
  const targetEar = new RtpCounter();
  const targets: Record<string, string> = {};
  const log = gatewayLog();
  const peers = new StartedPeers();
  const { open, counters, sipps, timers } = peers;
  counters.push(targetEar, xoutEar, target2Ear);

  beforeAll(async () => {
    const dataDir = peers.dir('portier-replaces-');
    scenarios = writePbxMoveScenarios(peers.dir('portier-replaces-sipp-'));
    ytarget = await Sipp.uas(join(SCENARIOS, 'replaces-answer.xml'), { rtp_port: await targetEar.bind() }, { calls: 1 });
    yrefuses = await Sipp.uas(join(SCENARIOS, 'replaces-refuse.xml'), {}, { calls: 1 });
    xout = await Sipp.uas(join(SCENARIOS, 'replaces-refer.xml'), { rtp_port: await xoutEar.bind() }, { calls: 1 });
    ytarget2 = await Sipp.uas(join(SCENARIOS, 'replaces-answer.xml'), { rtp_port: await target2Ear.bind() }, { calls: 1 });
    sipps.push(ytarget, yrefuses, xout, ytarget2);
    kamailio = await Kamailio.start({
      domain: DOMAIN, lookup: true,
      users: [{ username: 'lobby', password: 'lobby-secret-1' }, { username: PBX.user, password: PBX.password }],
      forward: {
        ytarget: { host: '127.0.0.1', port: ytarget.port }, yrefuses: { host: '127.0.0.1', port: yrefuses.port },
        xout: { host: '127.0.0.1', port: xout.port }, ytarget2: { host: '127.0.0.1', port: ytarget2.port },
      },
    });
    ({ gw, site } = await startSeededSipGateway(dataDir, (seeded) => `[{id: pbx, registrar: "127.0.0.1:${kamailio.port}", username: lobby, password: lobby-secret-1, domain: ${DOMAIN}, `
      + `inbound: {username: pbx-in, password: trunk-secret-7, trust_registrar: true, numbers: [{number: "lobby", entry: "${seeded.entries['Empfang']}"}]}}]`,
    { options: { logger: log.logger } }));
    admin = new ApiClient(gw.base);
    admin.cookie = site.admin.cookie;
    // An attended transfer, too, goes only to what the phone book routes on the account.
    Object.assign(targets, await routedExtensions(admin, ['ytarget', 'yrefuses', 'xout', 'ytarget2'], 30));
    await untilAccount(gw.gateway.services.sip.account('pbx')!, (s) => s.state === 'registered');
  }, 120_000);

  afterAll(() => peers.close(gw, kamailio));

  const logLine = log.line;
  /** A test's go: an OPTIONS into a sipp's call with that Call-ID, straight to its socket. */
  const go = (sipp: Sipp, callId: string, from: RtpCounter) => from.socket.send([
    `OPTIONS sip:uas@127.0.0.1:${sipp.port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${from.socket.address().port};branch=z9hG4bK-go-${sipp.pid}-${callId.slice(0, 8)}`,
    'From: <sip:test@127.0.0.1>;tag=go', 'To: <sip:uas@127.0.0.1>', `Call-ID: ${callId}`, 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', '',
  ].join('\r\n'), sipp.port, '127.0.0.1');

  /** Resolves once Kamailio relayed an ACK to that sipp's contact (its answer acknowledged): a BYE before it would be unexpected there. */
  const acked = async (sipp: Sipp) => {
    const contact = ` sip:uas@127.0.0.1:${sipp.port}`;
    while (!kamailio.requests('ACK').some((l) => l.includes(contact))) await kamailio.sawRequests('ACK', kamailio.requests('ACK').length + 1);
  };

  it('400 for a malformed Replaces, 403 to an unrouted number, the refusing target keeps the call with X; 491 while one runs; the consulted target answers: it takes the caller\'s place, X gets BYE', async () => {
    const rita = await connect(gw, '/desk', site.users.rita!.cookie);
    open.push(rita);
    const ear = new RtpCounter();
    counters.push(ear);
    const x = await Sipp.uac(scenarios['pbx-attended'], `127.0.0.1:${kamailio.port}`, {
      keys: { dialled: 'lobby', rtp_port: await ear.bind() }, auth: { user: PBX.user, password: PBX.password, uri: `lobby@127.0.0.1:${kamailio.port}` },
    });
    sipps.push(x);
    const ring = await next(rita, 'call.ring');
    expect(await ack(rita, 'call.answer', { callId: ring.callId })).toMatchObject({ ok: true });
    // The 200 goes out once the telephone's media joined, after the desk's answer was acknowledged.
    await pbxAnswered(gw, ring.callId);
    const call = gw.gateway.services.calls.get(ring.callId);
    const old = call.participants.find((p) => p.kind === 'sip')!;
    const deskId = site.users.rita!.id;
    // The desk's audio: PCMA from a Node socket, to whichever telephone is in the call.
    await pcmaMic(call.media as SfuCallMedia, deskId, 0xa77e, peers);
    await ear.reach(8, 25);

    const malformed = logLine('sip: REFER refused', (l) => l.callId === call.id && l.reason === 'bad-replaces');
    const unrouted = logLine('sip: REFER refused', (l) => l.callId === call.id && l.reason === 'not-routed');
    const refusedByY = logLine('sip: REFER done', (l) => l.callId === call.id && l.answered === false);
    const running = logLine('sip: REFER refused', (l) => l.callId === call.id && l.reason === 'running');
    const done = logLine('sip: REFER done', (l) => l.callId === call.id && l.answered === true);
    const callerShown = next(rita, 'call.caller', () => true, 60_000);
    const ringing = kamailio.replies(180, 'INVITE').length;
    go(x, `1-${x.pid}@127.0.0.1`, ear);

    expect(await malformed).toMatchObject({ status: 400 });
    expect(await unrouted).toMatchObject({ status: 403, host: DOMAIN });
    // Y knew no such consult dialog (481): the call stays with X.
    expect(await refusedByY).toMatchObject({ attended: true, status: 481 });
    expect(call.hasParticipant(old.id)).toBe(true);
    expect(call.callerId).toBe(old.id);
    // The second REFER while Y rings: 491. Y rings (its 180 passed Kamailio): the test tells it to answer.
    expect(await running).toMatchObject({ status: 491 });
    await kamailio.sawReplies(180, 'INVITE', ringing + 1);
    const leg = [...gw.gateway.services.sipLegs.legs].find((l) => l.sipCallId !== undefined)!;
    go(ytarget, leg.sipCallId!, ear);
    expect(await done).toMatchObject({ attended: true, number: 'ytarget' });

    // Y is the call's caller now; Rita still answered it and is told whom she talks with.
    const moved = call.participants.find((p) => p.kind === 'sip' && p.leftAt === null)!;
    expect(moved.id).toBe(leg.participantId);
    expect(call.callerId).toBe(moved.id);
    expect(call.hasParticipant(old.id)).toBe(false);
    expect(call.answeredBy).toBe(deskId);
    expect(await callerShown).toEqual({ callId: call.id, name: 'Extension ytarget' });
    // X got 400, 403, 202 + NOTIFY 100/481, 202 + NOTIFY 100, 491, NOTIFY 200 and the BYE of its dialog.
    expect(await x.exited(), x.output.slice(-3000)).toBe(0);
    // Y's checks of Replaces and Require held, and the desk's audio reaches it.
    await targetEar.reach(8, 25);
    expect(await yrefuses.exited(), yrefuses.output.slice(-3000)).toBe(0);

    // Audited: the unrouted number (host only), and both moves as attended, naming the entries.
    const denied = await auditedFor(admin, 'sip.refer-refused', (e: { target_id: string }) => e.target_id === call.id);
    expect(denied).toEqual([expect.objectContaining({ outcome: 'denied' })]);
    expect(JSON.stringify(denied)).not.toContain('0900666');
    const ours = await auditedFor(admin, 'call.moved', (e: { correlation_id: string }) => e.correlation_id === call.id, 2);
    expect(ours.map((e: { target_id: string; outcome: string }) => [e.target_id, e.outcome]).sort()).toEqual([[targets.ytarget, 'ok'], [targets.yrefuses, 'failed']].sort());
    expect(ours.map((e: { details: string }) => JSON.parse(e.details))).toEqual(expect.arrayContaining([
      { via: 'refer', participant: moved.id, attended: true }, expect.objectContaining({ via: 'refer', attended: true, status: 481 }),
    ]));
    expect(call.legs.at(-2)).toMatchObject({ route: { type: 'sip', user: 'yrefuses' }, state: 'failed', answeredBy: null });
    expect(call.legs.at(-1)).toMatchObject({ route: { type: 'sip', user: 'ytarget' }, state: 'answered', answeredBy: moved.id });

    // Hung up once Y has its ACK (Kamailio relayed it): a BYE before it would be unexpected there.
    await acked(ytarget);
    const ended = next(rita, 'call.state', (m: any) => m.step === 'ended' && m.callId === call.id);
    expect(await ack(rita, 'call.hangup', { callId: call.id })).toEqual({ ok: true });
    expect(await ended).toMatchObject({ reason: 'hangup-desk', outcome: 'answered' });
    expect(await ytarget.exited(), ytarget.output.slice(-3000)).toBe(0);
  });

  it('a telephone a terminal called hands the visitor over the same way: Replaces in the INVITE to the consulted target, which takes its place and hears the terminal', async () => {
    const terminal = await connect(gw, '/terminal', site.terminal.cookie);
    open.push(terminal);
    const started = await ack(terminal, 'call.start', { entryId: targets.xout });
    expect(started).toMatchObject({ ok: true });
    await next(terminal, 'call.state', (m: any) => m.step === 'answered');
    const call = gw.gateway.services.calls.get(started.callId);
    const old = call.participants.find((p) => p.kind === 'sip')!;
    // The terminal's audio (PCMA from a Node socket) goes to whichever telephone is in the call.
    const { mic } = await pcmaMic(call.media as SfuCallMedia, site.terminal.id, 0x0a77, peers);
    await xoutEar.reach(8, 25);
    const moving = logLine('sip: the PBX moves the call (REFER)', (l) => l.callId === call.id);
    const done = logLine('sip: REFER done', (l) => l.callId === call.id);
    const ringing = kamailio.replies(180, 'INVITE').length;
    const legs = () => [...gw.gateway.services.sipLegs.legs];
    go(xout, legs().find((l) => l.participantId === old.id)!.sipCallId!, mic);
    expect(await moving).toMatchObject({ attended: true, number: 'ytarget2' });
    await kamailio.sawReplies(180, 'INVITE', ringing + 1);
    const leg = legs().find((l) => l.participantId !== old.id)!;
    go(ytarget2, leg.sipCallId!, mic);
    expect(await done).toMatchObject({ answered: true, attended: true });
    expect(call.participants.filter((p) => p.kind === 'sip').map((p) => [p.id, p.leftAt === null])).toEqual([[old.id, false], [leg.participantId, true]]);
    expect(call.answeredBy).toBe(leg.participantId);
    // xout got 202, NOTIFY 100/200 and its BYE; ytarget2's Replaces check held and the terminal's audio reaches it.
    expect(await xout.exited(), xout.output.slice(-3000)).toBe(0);
    await target2Ear.reach(8, 25);
    await acked(ytarget2);
    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended');
    expect(await ack(terminal, 'call.hangup', { callId: call.id })).toEqual({ ok: true });
    expect(await ended).toMatchObject({ reason: 'hangup-terminal' });
    expect(await ytarget2.exited(), ytarget2.output.slice(-3000)).toBe(0);
  });
});
