// The RTP address a SIP leg gives the far end, in front of the leg's mediasoup
// PlainTransport. mediasoup routes a received RTP packet to a producer by its
// SSRC, and a telephone's SSRC is known only from its first packet (an SDP answer
// rarely names it; a PBX may change it mid-call, e.g. after a transfer): the relay
// rewrites every packet it takes from the far end to the one SSRC the leg's
// producer was created with, and only the negotiated payload type passes. It
// also keeps RTP symmetric (the far end receives from the port it was told) and
// counts packets both ways. Audio is ~50 packets/s per direction. RFC 4733
// telephone-events (DTMF) from the far end are read here and not passed on
// (mediasoup would not forward them to any consumer anyway) — but only from the
// far end's latched media source: at the answer (latchFarEnd) the next audio
// packet from the answered address fixes its source port and SSRC, and a
// telephone-event from another port or SSRC (a spoofed PT-101 packet: the door
// code is the only factor) is dropped and counted. The far end's RTP and RTCP
// ports are a pair (even, odd) from sip.rtp_port_min..max when set. The far end's
// RTCP is read here (after SRTCP), not passed on: its receiver report on the
// stream we send it, with the round trip against mediasoup's sender reports, is
// emitted by `rtcp` (phone-rtcp-leg.ts).
import { createSocket, type Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import type { DtmfDigit } from '../calls/index.ts';
import { UnavailableError } from '../core/index.ts';
import { TelephoneEventReceiver } from './telephone-event.ts';
import { SrtpReceiver, SrtpSender, type SrtpDrops } from './srtp.ts';
import { sameMasterKey, type SrtpMasterKey } from './srtp-keys.ts';
import type { SrtpKeys } from './media-security.ts';
import { PhoneRtcp } from './phone-rtcp-leg.ts';

export interface RelayRemote {
  address: string; rtpPort: number; rtcpPort: number; payloadType: number;
  /** Payload types the far end may send RFC 4733 telephone-events with (ours from the offer, its own from the answer). */
  telephoneEvents?: readonly number[];
  /** The RTP clock rate of the audio (the far end's RTCP jitter comes in its units); 8000 when not given. */
  clockRate?: number;
}

export interface RtpRelayCounters {
  /** RTP packets from the far end passed on to mediasoup. */
  fromRemote: number;
  /** RTP packets from mediasoup sent to the far end. */
  toRemote: number;
  /** Packets from the far end dropped: another source address, another payload type, not RTP. */
  dropped: number;
  /** RFC 4733 telephone-event packets from the far end's latched source (every one, the redundant end packets too). */
  telephoneEvents: number;
  /** Telephone-event packets dropped: before the latch, or from another source port or SSRC than the latched audio. */
  eventsRefused: number;
  /**
   * Packets on an SRTP leg's RTCP port too short to be SRTCP (header, index and 80-bit tag: 22 bytes), ignored: a
   * keepalive such as libre's plain RTCP APP "PING" (baresip sends one), not a failed SRTCP packet.
   */
  rtcpIgnored: number;
}

/** The shortest SRTCP packet: an RTCP header with the sender's SSRC (8), the E flag and index (4), the 80-bit tag (10). */
const SRTCP_MIN_BYTES = 8 + 4 + 10;

/** The far end's audio source after the answer: telephone-events are heard only from it. */
export interface MediaLatch { port: number; ssrc: number }

const bind = (socket: Socket, host: string, port = 0): Promise<void> => new Promise((resolve, reject) => {
  socket.once('error', reject);
  socket.bind(port, host, () => { socket.off('error', reject); resolve(); });
});

/** RTP on `port` (0: any) and RTCP on the next port (any with 0); both closed again when either fails. */
async function bindBoth(type: 'udp4' | 'udp6', host: string, port: number): Promise<[Socket, Socket]> {
  const sockets: [Socket, Socket] = [createSocket(type), createSocket(type)];
  try {
    await Promise.all([bind(sockets[0], host, port), bind(sockets[1], host, port === 0 ? 0 : port + 1)]);
    return sockets;
  } catch (error) {
    for (const s of sockets) s.close();
    throw error;
  }
}

/** The first free (RTP, RTCP) pair of the range, tried from a random one. */
async function bindPair(type: 'udp4' | 'udp6', host: string, range: RtpPortRange): Promise<[Socket, Socket]> {
  for (const port of rtpPortsOf(range)) {
    try {
      return await bindBoth(type, host, port);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
  throw new UnavailableError(`no free RTP port pair in sip.rtp_port_min..sip.rtp_port_max (${range.min}-${range.max}) / kein freies RTP-Portpaar`);
}

/** The ports the far end's RTP (even) and RTCP (the next) sockets may take; both inclusive. */
export interface RtpPortRange { min: number; max: number }

/** The (even) RTP ports of the range's pairs, starting at a random one so that legs do not race for the same pair. */
function rtpPortsOf(range: RtpPortRange): number[] {
  const first = range.min + (range.min % 2);
  const pairs: number[] = [];
  for (let p = first; p + 1 <= range.max; p += 2) pairs.push(p);
  const start = pairs.length > 0 ? randomInt(0, pairs.length) : 0;
  return [...pairs.slice(start), ...pairs.slice(0, start)];
}

const isRtcp = (b: Buffer): boolean => b.length >= 8 && b[1]! >= 192 && b[1]! <= 223;
const isRtp = (b: Buffer): boolean => b.length >= 12 && (b[0]! & 0xc0) === 0x80;

export class RtpRelay {
  /** The SSRC every packet from the far end carries on to mediasoup. */
  readonly ssrc = randomInt(1, 0xffff_ffff);
  readonly counters: RtpRelayCounters = { fromRemote: 0, toRemote: 0, dropped: 0, telephoneEvents: 0, eventsRefused: 0, rtcpIgnored: 0 };
  /** Each key the far end pressed in the RTP stream (RFC 4733), once, at the event's end. */
  ondigit?: (digit: DtmfDigit) => void;
  readonly #events = new TelephoneEventReceiver();
  /** The far end's receiver reports on what we send it (closed with the relay). */
  readonly rtcp = new PhoneRtcp();
  readonly #rtp: Socket;
  readonly #rtcp: Socket;
  /** Faces the PlainTransport (loopback, RTP and RTCP multiplexed). */
  readonly #inner: Socket;
  #sfu?: { ip: string; port: number };
  #remote?: RelayRemote;
  /** Payload type mediasoup's producer expects (the static one of the codec). */
  #producerPayloadType = 0;
  /** 'waiting': the answer came, the next audio packet latches; undefined: no answer yet, no key is heard. */
  #latch?: MediaLatch | 'waiting';
  /** The far end's own SSRC (its latest RTP packet): feedback from mediasoup names it instead of ours. */
  #remoteSsrc?: number;
  /** SRTP toward the far end (srtp.ts): the relay encrypts and decrypts, mediasoup's side stays plain RTP on loopback. */
  #srtp?: { sender: SrtpSender; receiver: SrtpReceiver; send: SrtpMasterKey; receive: SrtpMasterKey };
  #closed = false;

  private constructor(rtp: Socket, rtcp: Socket, inner: Socket) {
    this.#rtp = rtp;
    this.#rtcp = rtcp;
    this.#inner = inner;
    rtp.on('message', (data, rinfo) => this.#fromRemote(data, rinfo.address, rinfo.port));
    // RTCP from the far end is read, not passed on: its sender SSRC is the one the relay rewrites.
    rtcp.on('message', (data, rinfo) => this.#rtcpFromRemote(data, rinfo.address));
    inner.on('message', (data, rinfo) => this.#fromSfu(data, rinfo.address, rinfo.port));
    for (const s of [rtp, rtcp, inner]) s.on('error', () => {});
  }

  /**
   * Binds the far end's RTP and RTCP sockets on `bindHost` — a free pair of
   * `ports` when given (unavailable when every pair is taken), else any — and
   * the inner one on loopback.
   */
  static async open(bindHost: string, ports?: RtpPortRange): Promise<RtpRelay> {
    const type = isIP(bindHost) === 6 ? 'udp6' : 'udp4';
    const [rtp, rtcp] = ports ? await bindPair(type, bindHost, ports) : await bindBoth(type, bindHost, 0);
    const inner = createSocket('udp4');
    try {
      await bind(inner, '127.0.0.1');
    } catch (error) {
      for (const s of [rtp, rtcp, inner]) s.close();
      throw error;
    }
    return new RtpRelay(rtp, rtcp, inner);
  }

  get rtpPort(): number { return this.#rtp.address().port; }
  get rtcpPort(): number { return this.#rtcp.address().port; }
  /** Where the PlainTransport sends (connect it here). */
  get innerAddress(): { ip: string; port: number } { return { ip: '127.0.0.1', port: this.#inner.address().port }; }
  get closed(): boolean { return this.#closed; }
  /** 'srtp' once secure() took the keys; the far end's packets and ours are then SRTP/SRTCP. */
  get media(): 'srtp' | 'rtp' { return this.#srtp ? 'srtp' : 'rtp'; }
  /** The far end's SRTP/SRTCP packets refused (tag, replay, malformed); zero for a plain leg. */
  get srtpDrops(): SrtpDrops { return { ...(this.#srtp?.receiver.drops ?? { authFailed: 0, replayed: 0, malformed: 0 }) }; }

  /**
   * SRTP with the negotiated keys (media-security.ts), from the next packet on; called again
   * (a re-INVITE with new keys), only the side whose key changed starts afresh: a sender kept
   * under the same key keeps its rollover counters and SRTCP indices — a new one would count
   * from 0 again and encrypt other packets with the same keystream (RFC 3711 §9.1; review s22 #2).
   * The keys stay inside the relay.
   */
  secure(keys: SrtpKeys): void {
    const now = this.#srtp;
    this.#srtp = {
      sender: now && sameMasterKey(now.send, keys.send) ? now.sender : new SrtpSender(keys.send),
      receiver: now && sameMasterKey(now.receive, keys.receive) ? now.receiver : new SrtpReceiver(keys.receive),
      send: keys.send,
      receive: keys.receive,
    };
  }

  /**
   * Plain RTP again (a re-offer or answer without a key, media-security.ts): from the next packet on nothing is
   * encrypted or decrypted; SRTP later starts with fresh streams.
   */
  plain(): void { this.#srtp = undefined; }

  /** The PlainTransport's own address (its tuple). */
  connectSfu(sfu: { ip: string; port: number }): void { this.#sfu = sfu; }

  /** Where the far end's media goes (its latest usable SDP); undefined before one gave an address. */
  get remote(): RelayRemote | undefined { return this.#remote && { ...this.#remote }; }

  /** The far end's media address from its answer; `producerPayloadType` is what mediasoup's producer expects. */
  connectRemote(remote: RelayRemote, producerPayloadType: number): void {
    // Another address or port may be another phone: its reports count from our next packet (phone-rtcp-leg.ts).
    if (this.#remote && (this.#remote.address !== remote.address || this.#remote.rtpPort !== remote.rtpPort)) this.rtcp.farEndMoved();
    this.#remote = remote;
    this.#producerPayloadType = producerPayloadType;
    this.rtcp.clockRate = remote.clockRate ?? 8000;
  }

  /**
   * The far end answered: the next audio packet (the answered address, the
   * negotiated payload type) latches its source port and SSRC, and from then on
   * telephone-events are heard only from that port with that SSRC. Called again
   * (another answer), it latches anew — and the phone's reports count from our next packet.
   */
  latchFarEnd(): void {
    this.#latch = 'waiting';
    this.rtcp.farEndMoved();
  }

  /** The latched audio source; undefined before the answer's first audio packet. */
  get latched(): MediaLatch | undefined { return typeof this.#latch === 'object' ? { ...this.#latch } : undefined; }

  #fromRemote(packet: Buffer, address: string, port: number): void {
    const remote = this.#remote;
    const sfu = this.#sfu;
    let data = packet;
    if (this.#srtp && remote && address === remote.address && isRtp(packet)) {
      // A packet whose tag fails, or a replay, is counted by the receiver and goes no further (not even a key).
      const plain = this.#srtp.receiver.rtp(packet);
      if (!plain) return;
      data = plain;
    }
    // Only the answered address is heard (any port: NAT); before the answer nothing passes.
    if (remote && sfu && address === remote.address && isRtp(data) && remote.telephoneEvents?.includes(data[1]! & 0x7f)) {
      this.#telephoneEvent(data, port);
      return;
    }
    if (!remote || !sfu || address !== remote.address || !isRtp(data) || (data[1]! & 0x7f) !== remote.payloadType) {
      this.counters.dropped++;
      return;
    }
    if (this.#latch === 'waiting') this.#latch = { port, ssrc: data.readUInt32BE(8) };
    this.#remoteSsrc = data.readUInt32BE(8);
    data[1] = (data[1]! & 0x80) | this.#producerPayloadType;
    data.writeUInt32BE(this.ssrc, 8);
    this.counters.fromRemote++;
    this.#inner.send(data, sfu.port, sfu.ip);
  }

  /** A key only from the latched source (port and SSRC of the answered audio); anything else is counted and dropped. */
  #telephoneEvent(data: Buffer, port: number): void {
    const latch = this.#latch;
    if (typeof latch !== 'object' || port !== latch.port || data.readUInt32BE(8) !== latch.ssrc) {
      this.counters.eventsRefused++;
      return;
    }
    this.counters.telephoneEvents++;
    const digit = this.#events.receive(data);
    if (digit) this.ondigit?.(digit);
  }

  /** Only from the answered address (any port: NAT); an SRTP leg's SRTCP that fails its tag is counted in srtpDrops, a keepalive too short to be SRTCP in rtcpIgnored. */
  #rtcpFromRemote(packet: Buffer, address: string): void {
    if (!this.#remote || address !== this.#remote.address) return;
    if (this.#srtp && packet.length < SRTCP_MIN_BYTES) {
      this.counters.rtcpIgnored++;
      return;
    }
    const plain = this.#srtp ? this.#srtp.receiver.rtcp(packet) : packet;
    if (plain) this.rtcp.fromPhone(plain);
  }

  #fromSfu(data: Buffer, address: string, port: number): void {
    const remote = this.#remote;
    const sfu = this.#sfu;
    if (!remote || !sfu || address !== sfu.ip || port !== sfu.port) return;
    if (isRtcp(data)) {
      this.rtcp.fromSfu(data);
      if (this.#remoteSsrc !== undefined) feedbackTo(data, this.ssrc, this.#remoteSsrc);
      const out = this.#srtp ? this.#srtp.sender.rtcp(data) : data;
      if (out) this.#rtcp.send(out, remote.rtcpPort, remote.address);
      return;
    }
    if (!isRtp(data)) return;
    data[1] = (data[1]! & 0x80) | remote.payloadType;
    this.rtcp.sent(data);
    const out = this.#srtp ? this.#srtp.sender.rtp(data) : data;
    if (!out) return;
    this.counters.toRemote++;
    // From the RTP port the far end was told: symmetric RTP (RFC 4961), as PBXs behind NAT expect.
    this.#rtp.send(out, remote.rtpPort, remote.address);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.ondigit = undefined;
    this.rtcp.close();
    for (const s of [this.#rtp, this.#rtcp, this.#inner]) s.close();
  }
}

/**
 * Feedback in a compound RTCP packet from mediasoup (NACK, PLI, FIR: RFC 4585, 5104)
 * names the SSRC the relay gave the far end's stream; the far end knows only its own,
 * and a station ignores a keyframe request for an SSRC it does not send.
 */
export function feedbackTo(packet: Buffer, ours: number, theirs: number): void {
  for (let at = 0; at + 12 <= packet.length;) {
    const type = packet[at + 1]!;
    const end = at + (packet.readUInt16BE(at + 2) + 1) * 4;
    if (end > packet.length) return;
    if ((type === 205 || type === 206) && packet.readUInt32BE(at + 8) === ours) packet.writeUInt32BE(theirs, at + 8);
    // FIR (PSFB FMT 4): the media source field is 0, the SSRC is in each FCI entry (8 bytes).
    if (type === 206 && (packet[at]! & 0x1f) === 4) {
      for (let fci = at + 12; fci + 8 <= end; fci += 8) if (packet.readUInt32BE(fci) === ours) packet.writeUInt32BE(theirs, fci);
    }
    at = end;
  }
}
