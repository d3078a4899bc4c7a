// What a file of SIP-bridge tests around one real gateway, Kamailio and sipp
// shares (refer-callback, refer-inbound, inbound-call): what it started, closed
// in one place in afterAll; the gateway's log lines as events; an audio producer
// awaited in a call's media; a participant's PCMA microphone played by Node; a
// terminal's call through Kamailio over one transport (tls-call, ws-call); the
// phone-book entries a PBX may move a call to, the extension it moves it to, the
// test's go into its call and the wait for the target's ACK (refer-*); the wait for
// the gateway's 200 to an inbound call a desk answered (pbxAnswered).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import pino from 'pino';
import { expect } from 'vitest';
import type { Socket } from 'socket.io-client';
import type { SfuCallMedia } from '../../src/sfu/index.ts';
import type { ProducerInfo } from '../../src/calls/media-port.ts';
import { ack, next, type Gw } from './signaling.ts';
import type { ApiClient } from './gateway.ts';
import type { Kamailio } from './kamailio.ts';
import { Sipp } from './sipp.ts';
import { RtpCounter, pcmaPacket } from './rtp-counter.ts';

/** Everything a test file started beside its gateway and Kamailio: closed by `close`, in the order they depend on each other. */
export class StartedPeers {
  readonly timers: NodeJS.Timeout[] = [];
  readonly open: Socket[] = [];
  readonly sipps: Sipp[] = [];
  readonly counters: RtpCounter[] = [];
  readonly #dirs: string[] = [];

  /** A fresh temporary directory, removed by `close`. */
  dir(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.#dirs.push(dir);
    return dir;
  }

  /** Timers, sockets and sipps first (they talk to the gateway), then the gateway, Kamailio, the RTP counters and the directories. */
  async close(gw: Gw | undefined, kamailio: Kamailio | undefined): Promise<void> {
    this.timers.forEach((t) => clearInterval(t));
    this.open.forEach((s) => s.close());
    for (const s of this.sipps) await s.close();
    await gw?.close();
    await kamailio?.close();
    this.counters.forEach((c) => c.close());
    for (const dir of this.#dirs) rmSync(dir, { recursive: true, force: true });
  }
}

/** A logger for the gateway whose JSON lines the test can wait for: `line(prefix, where)` is the next whose message starts with `prefix`. */
export function gatewayLog(): { logger: pino.Logger; line(prefix: string, where?: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> } {
  const logs = new EventEmitter();
  const logger = pino({ level: 'info' }, new Writable({ write(chunk, _e, cb) { logs.emit('line', JSON.parse(String(chunk))); cb(); } }));
  const line = (prefix: string, where: (l: Record<string, unknown>) => boolean = () => true) => new Promise<Record<string, unknown>>((resolve) => {
    const on = (l: Record<string, unknown>) => { if (String(l.msg).startsWith(prefix) && where(l)) { logs.off('line', on); resolve(l); } };
    logs.on('line', on);
  });
  return { logger, line };
}

/** The next audio producer in the call's media whose participant `which` names (it may exist already), as `viewer` may consume it. */
export function audioProducer(media: SfuCallMedia, viewer: string, which: (participantId: string) => boolean): Promise<ProducerInfo> {
  return new Promise<ProducerInfo>((resolve) => {
    const is = (p: ProducerInfo) => p.kind === 'audio' && which(p.participantId);
    const on = (p: ProducerInfo) => { if (is(p)) { media.observer.off('newproducer', on); resolve(p); } };
    media.observer.on('newproducer', on);
    const present = media.producersFor(viewer).find(is);
    if (present) on(present);
  });
}

/**
 * Resolves once the gateway sent its 200 to the PBX's INVITE of call `callId` (the inbound call's dialog is
 * established). A desk's answer is acknowledged before that: the 200 waits for the telephone's media to join
 * (inbound-sip-call.ts #accept), so a test that goes on in the PBX's dialog (a REFER, a hang-up the PBX must see
 * as a BYE) waits for it first. Polled every 50 ms, 30 s at most: for a dialog that stays up (one that ends at
 * once, e.g. Portier's BYE after an ACK without SDP, is gone from sipInbound.calls).
 */
export async function pbxAnswered(gw: Gw, callId: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const established = () => [...gw.gateway.services.sipInbound.calls].some((c) => c.call?.id === callId && c.session?.state === 'Established');
  while (!established()) {
    if (Date.now() > deadline) throw new Error(`the PBX's call of ${callId} got no 200 within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A participant's microphone played by Node in a call's media (see `pcmaMic`). */
export interface PcmaMic {
  /** The socket sending, which counts what the participant hears. */
  readonly mic: RtpCounter;
  readonly transportId: string;
  /** Stops sending. */
  stop(): void;
  /** The participant hears the audio producer `which` names (awaited as `audioProducer` does): consumed on the transport and resumed. */
  hear(which: (participantId: string) => boolean): Promise<void>;
}

/**
 * `participantId`'s media played by Node, as a browser would: a plain RTP transport (comedia) producing PCMA with
 * `ssrc`, fed 20 ms packets from a bound RtpCounter. Its interval goes to `owner.timers`, the counter to
 * `owner.counters` when given (else the caller closes `mic`).
 */
export async function pcmaMic(media: SfuCallMedia, participantId: string, ssrc: number, owner: { timers: NodeJS.Timeout[]; counters?: RtpCounter[] }): Promise<PcmaMic> {
  const mic = new RtpCounter();
  owner.counters?.push(mic);
  await mic.bind();
  const t = await media.createPlainTransport(participantId, { ip: '127.0.0.1', comedia: true });
  await media.produce(participantId, t.id, 'audio', { codecs: [{ mimeType: 'audio/PCMA', payloadType: 8, clockRate: 8000 }], encodings: [{ ssrc }] });
  let seq = 0;
  const sending = setInterval(() => mic.socket.send(pcmaPacket(seq++, ssrc), t.port, t.ip), 20);
  owner.timers.push(sending);
  const hear = async (which: (participantId: string) => boolean) => {
    const producer = await audioProducer(media, participantId, which);
    const consumer = await media.consume(participantId, t.id, producer.producerId);
    await media.resume(participantId, consumer.id);
  };
  return { mic, transportId: t.id, stop: () => clearInterval(sending), hear };
}

/**
 * The terminal calls `entryId`, an extension Kamailio forwards to a sipp UAS; the call's id once it is answered, its
 * INVITE having passed Kamailio twice (challenged, then with credentials), both over `proto`. Bounds a loaded machine
 * meets (a TLS handshake, a digest round trip through Kamailio): the leg rings up to 120 s.
 */
export async function callAnsweredOver(terminal: Socket, kamailio: Kamailio, entryId: string, proto: string): Promise<string> {
  const invitesBefore = kamailio.requests('INVITE').length;
  const started = await ack(terminal, 'call.start', { entryId });
  expect(started).toMatchObject({ ok: true });
  const callId: string = started.callId;
  await next(terminal, 'call.state', (m: any) => m.step === 'ringing', 60_000);
  await next(terminal, 'call.state', (m: any) => m.step === 'answered', 60_000);
  await kamailio.sawRequests('INVITE', invitesBefore + 2);
  const invites = kamailio.requests('INVITE').slice(invitesBefore);
  expect(invites).toHaveLength(2);
  expect(invites.every((l) => l.endsWith(`proto ${proto}`))).toBe(true);
  return callId;
}

/** The terminal hangs up the answered call: it ends (hangup-terminal), and its BYE passes Kamailio over `proto`. */
export async function hangsUpOver(terminal: Socket, kamailio: Kamailio, callId: string, proto: string): Promise<void> {
  const byesBefore = kamailio.requests('BYE').length;
  const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended');
  expect(await ack(terminal, 'call.hangup', { callId })).toEqual({ ok: true });
  expect(await ended).toMatchObject({ reason: 'hangup-terminal', outcome: 'answered' });
  await kamailio.sawRequests('BYE', byesBefore + 1);
  expect(kamailio.requests('BYE').at(-1)).toMatch(new RegExp(`proto ${proto}$`));
}

/**
 * The phone book's entries 'Extension <user>' at hq, made by `admin`, one a user, each routing its user on the account
 * 'pbx' with a leg timeout of `legTimeoutS` (a PBX moves a call only to what the phone book routes on the account,
 * review s23 #15); their ids by user.
 */
export async function routedExtensions(admin: ApiClient, users: string[], legTimeoutS: number): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  for (const user of users) {
    const routed = await admin.post('/api/sites/hq/phonebook', { kind: 'person', name: `Extension ${user}`, routes: [{ type: 'sip', accountId: 'pbx', user }], policy: { legTimeoutS } });
    expect(routed.status).toBe(201);
    ids[user] = routed.body.id;
  }
  return ids;
}

/**
 * The extension a PBX moves a call to: a sipp UAS (scenarios/answer.xml) answering one call, its RTP counted by
 * `targetEar`; both closed with `peers`.
 */
export async function startMoveTarget(peers: StartedPeers): Promise<{ target: Sipp; targetEar: RtpCounter }> {
  const targetEar = new RtpCounter();
  peers.counters.push(targetEar);
  const target = await Sipp.uas(join(SIPP_SCENARIOS, 'answer.xml'), { rtp_port: await targetEar.bind() }, { calls: 1 });
  peers.sipps.push(target);
  return { target, targetEar };
}

/** The test's go: an OPTIONS into a PBX sipp's call (its Call-ID is sipp's first), sent straight to sipp from `from`'s socket. */
export function goIntoPbxCall(sipp: Sipp, from: RtpCounter): void {
  from.socket.send([
    `OPTIONS sip:pbx@127.0.0.1:${sipp.port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${from.socket.address().port};branch=z9hG4bK-go-${sipp.pid}`,
    'From: <sip:test@127.0.0.1>;tag=go', 'To: <sip:pbx@127.0.0.1>', `Call-ID: 1-${sipp.pid}@127.0.0.1`, 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', '',
  ].join('\r\n'), sipp.port, '127.0.0.1');
}

/** Resolves once Kamailio relayed an ACK into the dialog of sipp's `uas` contact (the target's answer acknowledged). */
export async function untilTargetAcked(kamailio: Kamailio): Promise<void> {
  while (!kamailio.requests('ACK').some((l) => l.includes(' sip:uas@'))) await kamailio.sawRequests('ACK', kamailio.requests('ACK').length + 1);
}

const SIPP_SCENARIOS = join(import.meta.dirname, '..', 'sip-bridge', 'scenarios');
