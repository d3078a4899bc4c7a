// The PBX moves the telephone that called a lobby terminal back (issue 13, "accepts
// REFER from the PBX to move a call it holds", the callback direction): the PBX
// (sipp, 'callback-moves' in pbx-move-scenarios.ts) dials the terminal's number
// straight at Portier's socket (a trunk source, its caller the P-Asserted-Identity),
// the terminal answers by itself; its media is played by Node (a plain transport
// sending PCMA). Then the PBX sends REFER in the call's dialog to the extension
// `target` (sipp, scenarios/answer.xml, reached through a real Kamailio) → 202,
// NOTIFY 100, and once the target answered NOTIFY 200 and the old dialog's BYE;
// the new telephone takes the old one's place (the terminal still the one who
// answered, and the caller), the terminal's audio reaches it and its capture the
// terminal, which is told the target's name as its number lists it (call.caller);
// audited call.moved. Before that, a REFER to an extension the phone book routes
// but the terminal's number does not list as a caller is refused 403 (review s25
// #9: the lobby's camera goes only to a listed caller). The terminal hangs up only
// once the target's sipp has its ACK (Kamailio's log): a BYE before it would be unexpected there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/gateway.ts';
import { startSeededSipGateway } from '../support/sip-gateway.ts';
import { StartedPeers, gatewayLog, goIntoPbxCall, pcmaMic, routedExtensions, startMoveTarget, untilTargetAcked } from '../support/sip-call-files.ts';
import { connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';
import { Kamailio } from '../support/kamailio.ts';
import { Sipp } from '../support/sipp.ts';
import { RtpCounter } from '../support/rtp-counter.ts';
import type { SfuCallMedia } from '../../src/sfu/index.ts';
import { untilAccount } from './account-state.ts';
import { writePbxMoveScenarios, type PbxMoveScenario } from './pbx-move-scenarios.ts';
import { auditedFor } from '../support/audit-entries.ts';

const DOMAIN = 'portier.test';
const TRUNK = { user: 'pbx-in', password: 'trunk-secret-7' };
const NUMBER = '4790';

describe('the PBX moves its telephone out of a terminal\'s callback by REFER', () => {
  let kamailio: Kamailio;
  let gw: Gw;
  let site: SiteFixture;
  let admin: ApiClient;
  let dataDir: string;
  let scenarios: Record<PbxMoveScenario, string>;
  let target: Sipp;
  let targetEar: RtpCounter;
  let targetEntry: string;
  const log = gatewayLog();
  const peers = new StartedPeers();
  const { open, counters, sipps, timers } = peers;

  beforeAll(async () => {
    dataDir = peers.dir('portier-callback-move-');
    scenarios = writePbxMoveScenarios(peers.dir('portier-callback-move-sipp-'));
    ({ target, targetEar } = await startMoveTarget(peers));
    kamailio = await Kamailio.start({ domain: DOMAIN, users: [{ username: 'lobby', password: 'lobby-secret-1' }], forward: { target: { host: '127.0.0.1', port: target.port } } });
    ({ gw, site } = await startSeededSipGateway(dataDir, (seeded) => `[{id: pbx, registrar: "127.0.0.1:${kamailio.port}", username: lobby, password: lobby-secret-1, domain: ${DOMAIN}, `
      + `inbound: {username: ${TRUNK.user}, password: ${TRUNK.password}, sources: ["127.0.0.1"], numbers: [], `
      + `terminals: [{number: "${NUMBER}", terminal: "${seeded.terminal.id}", callers: [{id: reception, number: "7001", name: "Reception"}, {id: porter, number: target, name: "Porter"}]}]}}]`,
    { options: { logger: log.logger } }));
    admin = new ApiClient(gw.base);
    admin.cookie = site.admin.cookie;
    // 'other': an extension the phone book routes but the terminal's number does not list as a caller.
    targetEntry = (await routedExtensions(admin, ['target', 'other'], 10)).target!;
    await untilAccount(gw.gateway.services.sip.account('pbx')!, (s) => s.state === 'registered');
  }, 120_000);

  afterAll(() => peers.close(gw, kamailio));

  /** The next log line whose message starts with `prefix` and that matches `where`. */
  const logLine = log.line;

  it('REFER in the callback\'s dialog to an extension its number does not list: 403 not-a-listed-caller, the call unchanged, audited; to a listed caller: 202, NOTIFY 100/200, the target takes the telephone\'s place, the terminal hears it, is heard and is told its listed name; the old dialog gets BYE; audited', async () => {
    const terminal = await connect(gw, '/terminal', site.terminal.cookie);
    open.push(terminal);
    const ear = new RtpCounter();
    counters.push(ear);
    const port = gw.gateway.services.sip.account('pbx')!.transport!.port;
    const answered = next(terminal, 'call.state', (m: any) => m.step === 'answered', 30_000);
    const sipp = await Sipp.uac(scenarios['callback-moves'], `127.0.0.1:${port}`, {
      keys: { dialled: NUMBER, rtp_port: await ear.bind() }, auth: { user: TRUNK.user, password: TRUNK.password, uri: `${NUMBER}@127.0.0.1:${port}` },
    });
    sipps.push(sipp);
    const call = gw.gateway.services.calls.get((await answered).callId);
    expect(call.kind).toBe('callback');
    expect(call.answeredBy).toBe(site.terminal.id);
    const old = call.participants.find((p) => p.kind === 'sip')!;
    // The terminal's media played by Node: PCMA out, the telephone's audio consumed.
    const { mic, hear } = await pcmaMic(call.media as SfuCallMedia, site.terminal.id, 0x7e57, peers);
    await hear((id) => id === old.id);
    await ear.reach(8, 25);
    await mic.reach(8, 25);

    const refused = logLine('sip: REFER refused', (l) => l.callId === call.id);
    const done = logLine('sip: REFER done', (l) => l.callId === call.id);
    const told = next(terminal, 'call.caller', (m: any) => m.callId === call.id, 30_000);
    const hearsNew = hear((id) => id !== old.id && id.startsWith('sip-'));
    goIntoPbxCall(sipp, ear);
    // Not a listed caller: refused before anything rings, the call as it was (sipp wants the 403 before its next REFER).
    expect(await refused).toMatchObject({ status: 403, reason: 'not-a-listed-caller', host: 'portier.test' });
    expect(call.participants.filter((p) => p.leftAt === null).map((p) => p.id).sort()).toEqual([site.terminal.id, old.id].sort());
    expect(call.legs.some((l) => l.route.type === 'sip' && l.route.user === 'other')).toBe(false);
    expect(await done).toMatchObject({ answered: true });
    const now = call.participants.filter((p) => p.kind === 'sip');
    expect(now.map((p) => [p.id === old.id, p.leftAt === null])).toEqual([[true, false], [false, true]]);
    const moved = now[1]!;
    // The terminal answered the callback and stays the one who did, and the call's caller side.
    expect(call.answeredBy).toBe(site.terminal.id);
    expect(call.callerId).toBe(site.terminal.id);
    // The PBX got 202, NOTIFY 100 and 200, and the BYE of its dialog.
    expect(await sipp.exited(), sipp.output.slice(-3000)).toBe(0);
    await targetEar.reach(8, 25);
    await hearsNew;
    await mic.reach(8, mic.count(8) + 25);
    const moves = await auditedFor(admin, 'call.moved', (e: { correlation_id: string }) => e.correlation_id === call.id);
    expect(moves).toEqual([
      expect.objectContaining({ actor_id: old.id, target_type: 'phonebook-entry', target_id: targetEntry, outcome: 'ok' }),
    ]);
    expect(call.legs.at(-1)).toMatchObject({ route: { type: 'sip', user: 'target' }, state: 'answered', answeredBy: moved.id });
    const refusals = await auditedFor<{ target_id: string; outcome: string; details: string }>(admin, 'sip.refer-refused', (e) => e.target_id === call.id);
    expect(refusals.map((e) => [e.outcome, JSON.parse(e.details)])).toEqual([
      ['denied', expect.objectContaining({ status: 403, reason: 'not-a-listed-caller' })],
    ]);
    // The kiosk is told who sees and hears it now, by the name its number lists (not the entry's); a desk resuming the call too.
    expect(await told).toEqual({ callId: call.id, name: 'Porter' });
    expect(call.phone?.label).toBe('Porter');
    // Hung up once the target's sipp has its ACK.
    await untilTargetAcked(kamailio);
    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended' && m.callId === call.id);
    expect(await ack(terminal, 'call.hangup', { callId: call.id })).toEqual({ ok: true });
    expect(await ended).toMatchObject({ reason: 'hangup-terminal' });
    expect(await target.exited(), target.output.slice(-3000)).toBe(0);
  });
});
