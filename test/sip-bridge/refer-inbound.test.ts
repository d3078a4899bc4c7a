// The PBX moves a call it placed (issue 13, "accepts REFER from the PBX to move a
// call it holds"): the PBX (sipp, scenarios in pbx-move-scenarios.ts) calls
// Portier's AOR through a real Kamailio (registrar and record-routing proxy, which
// looks Portier's contact up), the account's number rings the reception and Rita's
// desk answers; the desk's media is played by Node (a plain transport sending
// PCMA). Then the PBX holds its caller (re-INVITE sendonly, as phones do before a
// blind transfer) and sends REFER in the call's dialog: to the extension `target`
// (sipp, scenarios/answer.xml, reached through Kamailio) → 202, NOTIFY 100, and once
// the target answered NOTIFY 200 and BYE of the old dialog; the new telephone is the
// call's caller now and hears the desk, the desk hears it; the move is audited
// (call.moved) and a leg of the call's record. A foreign host → 403 (audited); the
// busy extension → 202, NOTIFY 100 then 486, and the call stays with the first
// telephone. Before the desk hangs up, the test waits in Kamailio's log for what
// the sipp in question still expects (its ACK, its NOTIFYs answered): a BYE before
// that would be an unexpected message to sipp.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ApiClient } from '../support/gateway.ts';
import { startSeededSipGateway } from '../support/sip-gateway.ts';
import { StartedPeers, gatewayLog, goIntoPbxCall, pbxAnswered, pcmaMic, routedExtensions, startMoveTarget, untilTargetAcked } from '../support/sip-call-files.ts';
import { connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';
import { Kamailio } from '../support/kamailio.ts';
import { Sipp } from '../support/sipp.ts';
import { RtpCounter } from '../support/rtp-counter.ts';
import type { SfuCallMedia } from '../../src/sfu/index.ts';
import { Value } from '@sinclair/typebox/value';
import { DeskServerEvents } from '../../src/signaling/index.ts';
import { untilAccount } from './account-state.ts';
import { writePbxMoveScenarios, type PbxMoveScenario } from './pbx-move-scenarios.ts';
import { auditedFor } from '../support/audit-entries.ts';

const DOMAIN = 'portier.test';
const SCENARIOS = join(import.meta.dirname, 'scenarios');
const PBX = { user: '7001', password: 'pbx-secret-1' };
type Tables = {
  call_legs: { call_id: string; seq: number; route: string; state: string; answered_by: string | null };
  call_participants: { call_id: string; participant_id: string; kind: string; left_at: number | null };
};

describe('the PBX moves its caller to another extension by REFER', () => {
  let kamailio: Kamailio;
  let gw: Gw;
  let site: SiteFixture;
  let admin: ApiClient;
  let dataDir: string;
  let scenarios: Record<PbxMoveScenario, string>;
  let target: Sipp;
  let targetEar: RtpCounter;
  let busy: Sipp;
  const targets: Record<string, string> = {};
  const log = gatewayLog();
  const peers = new StartedPeers();
  const { open, counters, sipps, timers } = peers;

  beforeAll(async () => {
    dataDir = peers.dir('portier-pbx-move-');
    scenarios = writePbxMoveScenarios(peers.dir('portier-pbx-move-sipp-'));
    ({ target, targetEar } = await startMoveTarget(peers));
    busy = await Sipp.uas(join(SCENARIOS, 'busy.xml'));
    sipps.push(busy);
    kamailio = await Kamailio.start({
      domain: DOMAIN, lookup: true,
      users: [{ username: 'lobby', password: 'lobby-secret-1' }, { username: PBX.user, password: PBX.password }],
      forward: { target: { host: '127.0.0.1', port: target.port }, busy: { host: '127.0.0.1', port: busy.port } },
    });
    // The account's own AOR rings the reception; the PBX's calls come from the registrar (Kamailio): trusted, not challenged again.
    ({ gw, site } = await startSeededSipGateway(dataDir, (seeded) => `[{id: pbx, registrar: "127.0.0.1:${kamailio.port}", username: lobby, password: lobby-secret-1, domain: ${DOMAIN}, `
      + `inbound: {username: pbx-in, password: trunk-secret-7, trust_registrar: true, numbers: [{number: "lobby", entry: "${seeded.entries['Empfang']}"}]}}]`,
    { options: { logger: log.logger } }));
    admin = new ApiClient(gw.base);
    admin.cookie = site.admin.cookie;
    // A PBX moves a call only to what the phone book routes on the account (review s23 #15).
    Object.assign(targets, await routedExtensions(admin, ['target', 'busy'], 10));
    await untilAccount(gw.gateway.services.sip.account('pbx')!, (s) => s.state === 'registered');
  }, 120_000);

  afterAll(() => peers.close(gw, kamailio));

  /** The next log line whose message starts with `prefix` and that matches `where`. */
  const logLine = log.line;
  const routers = () => gw.gateway.services.sfu.status().reduce((n, w) => n + w.routers, 0);

  /**
   * The PBX (sipp through Kamailio) calls the account's AOR, Rita answers; her media is a plain transport
   * sending PCMA that consumes the PBX's audio; audio flows both ways before anything moves.
   */
  const answeredCall = async (scenario: PbxMoveScenario) => {
    const rita = await connect(gw, '/desk', site.users.rita!.cookie);
    open.push(rita);
    const ear = new RtpCounter();
    counters.push(ear);
    const sipp = await Sipp.uac(scenarios[scenario], `127.0.0.1:${kamailio.port}`, {
      keys: { dialled: 'lobby', rtp_port: await ear.bind() }, auth: { user: PBX.user, password: PBX.password, uri: `lobby@127.0.0.1:${kamailio.port}` },
    });
    sipps.push(sipp);
    const ring = await next(rita, 'call.ring');
    expect(ring.terminal).toMatchObject({ siteId: 'hq' });
    // sipp's plain RTP/AVP offer over UDP: the desk shows the caller as not encrypted.
    expect(await ack(rita, 'call.answer', { callId: ring.callId })).toMatchObject({ ok: true, terminal: { media: 'rtp' } });
    // The 200 goes out once the telephone's media joined, after the desk's answer was acknowledged.
    await pbxAnswered(gw, ring.callId);
    const call = gw.gateway.services.calls.get(ring.callId);
    const old = call.participants.find((p) => p.kind === 'sip')!;
    expect(old).toMatchObject({ id: call.terminalId, leftAt: null });
    // The desk hears a telephone by `hear`: its audio consumed on the desk's transport (the mic socket counts it).
    const { mic, hear } = await pcmaMic(call.media as SfuCallMedia, site.users.rita!.id, 0xdeaf, peers);
    await hear((id) => id === old.id);
    // Both ways before the move: the desk's audio at the PBX's ear, the PBX's capture at the desk.
    await ear.reach(8, 25);
    await mic.reach(8, 25);
    return { rita, sipp, call, old, ear, mic, hear };
  };

  it('held, then REFER to a phone-book extension: 202, NOTIFY 100/200, the target takes the caller\'s place (audio both ways with the desk), the old dialog gets BYE; audited, a leg of the record', async () => {
    const { rita, sipp, call, old, ear, mic, hear } = await answeredCall('pbx-moves');
    const moving = logLine('sip: the PBX moves the call (REFER)', (l) => l.callId === call.id);
    const done = logLine('sip: REFER done', (l) => l.callId === call.id);
    // The desk consumes the new telephone as soon as it produces.
    const hearsNew = hear((id) => id !== old.id && id.startsWith('sip-'));
    const callerShown = next(rita, 'call.caller', () => true, 30_000);
    const protectionShown = next(rita, 'call.phone-media', () => true, 30_000);
    // As a phone does before a blind transfer, the PBX holds its caller first (Portier answers recvonly).
    const held = new Promise<void>((resolve) => {
      const inbound = gw.gateway.services.sipInbound;
      const on = (d: { participantId: string; direction: string }) => { if (d.participantId === old.id && d.direction === 'recvonly') { inbound.off('direction', on); resolve(); } };
      inbound.on('direction', on);
    });
    goIntoPbxCall(sipp, ear);
    await held;
    expect(await moving).toMatchObject({ account: 'pbx', number: 'target' });
    expect(await done).toMatchObject({ answered: true });
    // The old telephone left, the new one is in the call as its caller; Rita still answered it.
    const now = call.participants.filter((p) => p.kind === 'sip');
    expect(now.map((p) => [p.id === old.id, p.leftAt === null])).toEqual([[true, false], [false, true]]);
    const moved = now[1]!;
    expect(call.callerId).toBe(moved.id);
    expect(call.answeredBy).toBe(site.users.rita!.id);
    expect(call.ended).toBe(false);
    // The desk is told whom it talks with now (the target's phone-book entry, never the number).
    const shown = await callerShown;
    expect(shown).toEqual({ callId: call.id, name: 'Extension target' });
    expect(Value.Check(DeskServerEvents['call.caller'], shown)).toBe(true);
    // And how the new telephone's media travels (sipp answered plain RTP/AVP).
    const protection = await protectionShown;
    expect(protection).toEqual({ callId: call.id, media: 'rtp' });
    expect(Value.Check(DeskServerEvents['call.phone-media'], protection)).toBe(true);
    expect(moved.media).toBe('rtp');
    // The PBX got 202, NOTIFY 100 (active) and 200 (terminated), and the BYE of its dialog.
    expect(await sipp.exited(), sipp.output.slice(-3000)).toBe(0);
    // The desk's audio reaches the new telephone, and the new telephone's capture reaches the desk.
    await targetEar.reach(8, 25);
    // The old telephone's producer closed when it left, before the new one produced: what the desk hears from now on is the target's.
    await hearsNew;
    await mic.reach(8, mic.count(8) + 25);
    // Audited as the PBX's move of the old telephone to the entry (never the number).
    const moves = await auditedFor(admin, 'call.moved', (e: { correlation_id: string }) => e.correlation_id === call.id);
    expect(moves).toEqual([
      expect.objectContaining({ actor_id: old.id, target_type: 'phonebook-entry', target_id: targets.target, outcome: 'ok' }),
    ]);
    expect(call.legs.at(-1)).toMatchObject({ route: { type: 'sip', accountId: 'pbx', user: 'target' }, state: 'answered', answeredBy: moved.id });
    // Hung up once the target's sipp has its ACK: a BYE before it would be unexpected there.
    await untilTargetAcked(kamailio);
    const ended = next(rita, 'call.state', (m: any) => m.step === 'ended' && m.callId === call.id);
    expect(await ack(rita, 'call.hangup', { callId: call.id })).toEqual({ ok: true });
    expect(await ended).toMatchObject({ reason: 'hangup-desk', outcome: 'answered' });
    expect(await target.exited(), target.output.slice(-3000)).toBe(0);
    // The record: the move's leg answered by the new telephone, both telephones among the participants.
    await gw.gateway.services.calls.recordsWritten();
    const db = gw.gateway.services.store.db.withTables<Tables>();
    const legs = await db.selectFrom('call_legs').selectAll().where('call_id', '=', call.id).orderBy('seq').execute();
    expect(JSON.parse(legs.at(-1)!.route)).toMatchObject({ type: 'sip', user: 'target' });
    expect(legs.at(-1)).toMatchObject({ state: 'answered', answered_by: moved.id });
    const participants = await db.selectFrom('call_participants').selectAll().where('call_id', '=', call.id).execute();
    expect(participants.filter((p) => p.kind === 'sip').map((p) => p.participant_id).sort()).toEqual([old.id, moved.id].sort());
    expect(routers()).toBe(0);
  });

  it('a foreign host is refused 403 (audited); the busy extension: 202, NOTIFY 100 then 486, the call stays with the first telephone', async () => {
    const { rita, sipp, call, old, ear } = await answeredCall('pbx-moves-refused');
    const foreign = logLine('sip: REFER refused', (l) => l.callId === call.id && l.reason === 'foreign-target');
    const done = logLine('sip: REFER done', (l) => l.callId === call.id);
    const notifiesAnswered = kamailio.replies(200, 'NOTIFY').length;
    goIntoPbxCall(sipp, ear);
    expect(await foreign).toMatchObject({ status: 403, host: 'evil.example' });
    expect(await done).toMatchObject({ answered: false, status: 486 });
    // The PBX answered both NOTIFYs (100 and 486): only now may its call end.
    await kamailio.sawReplies(200, 'NOTIFY', notifiesAnswered + 2);
    expect(call.ended).toBe(false);
    expect(call.hasParticipant(old.id)).toBe(true);
    expect(call.callerId).toBe(old.id);
    expect(call.participants.filter((p) => p.kind === 'sip').map((p) => p.id)).toEqual([old.id]);
    // The desk still reaches the first telephone.
    const heard = ear.count(8);
    await ear.reach(8, heard + 25);
    const refused = await auditedFor(admin, 'sip.refer-refused', (e: { target_id: string }) => e.target_id === call.id);
    expect(refused).toEqual([expect.objectContaining({ outcome: 'denied' })]);
    const moves = await auditedFor(admin, 'call.moved', (e: { correlation_id: string }) => e.correlation_id === call.id);
    expect(moves).toEqual([
      expect.objectContaining({ actor_id: old.id, target_id: targets.busy, outcome: 'failed' }),
    ]);
    expect(call.legs.at(-1)).toMatchObject({ route: { type: 'sip', user: 'busy' }, state: 'busy', answeredBy: null });
    const ended = next(rita, 'call.state', (m: any) => m.step === 'ended' && m.callId === call.id);
    expect(await ack(rita, 'call.hangup', { callId: call.id })).toEqual({ ok: true });
    expect(await ended).toMatchObject({ reason: 'hangup-desk' });
    expect(await sipp.exited(), sipp.output.slice(-3000)).toBe(0);
  });
});
