// The SDP of a telephone leg (RFC 4566, offer/answer RFC 3264): Portier's
// offer for an outbound call and what it reads from the far end's answer. A thin
// layer of its own: audio only, RTP/AVP, static payload types 0 (PCMU) and 8 (PCMA),
// opus/48000/2 at a dynamic one (audio-codecs.ts), plus whatever rtpmap the answer
// carries, and RFC 4733 telephone-event for DTMF.
import type { AudioCodec } from '../calls/index.ts';
import { InvalidError } from '../core/index.ts';
import { clockRateOf, codecOfRtpmap, formatLines, ourPayloadType, type TelephoneEventFormat } from './audio-codecs.ts';

/** The G.711 codecs by their static payload type (RFC 3551 table 4). */
const STATIC: Record<number, AudioCodec> = { 0: 'audio/PCMU', 8: 'audio/PCMA' };

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface AudioOffer {
  /** Address written into o= and c= (the advertised address). */
  address: string;
  rtpPort: number;
  rtcpPort: number;
  /** In order of preference (audio-codecs.ts). */
  codecs: AudioCodec[];
  /** An answer's payload types (the offer's, RFC 3264 §6.1) where they are not ours (opus's dynamic one). */
  payloadTypes?: Partial<Record<AudioCodec, number>>;
  /** o= session id and version (version goes up with each new offer of the session). */
  sessionId: string;
  version: number;
  ptime?: number;
  /**
   * RFC 4733 telephone-events (events 0–15) offered, in order: an offer one per clock rate of its codecs
   * (audio-codecs.ts telephoneEventsToOffer), an answer the offer's one; none: no DTMF in RTP.
   */
  telephoneEvents?: readonly TelephoneEventFormat[];
  /** Our media direction (default sendrecv; an answer to a hold offer says recvonly or inactive). */
  direction?: Direction;
  /** Our SDES a=crypto values (sdes.ts writeCrypto): SRTP offered or answered. */
  crypto?: readonly string[];
  /** RTP/SAVP instead of RTP/AVP (SRTP required; RTP/AVP with a=crypto is SRTP offered at best effort). */
  savp?: boolean;
}

/** The direction that answers an offered one (RFC 3264 §6.1): hold (sendonly) → recvonly, inactive → inactive. */
export function answerDirection(offered: Direction): Direction {
  if (offered === 'sendonly') return 'recvonly';
  if (offered === 'recvonly') return 'sendonly';
  return offered;
}

export interface AudioAnswer {
  /** Where to send RTP (the media's c=, else the session's). */
  address: string;
  rtpPort: number;
  /** a=rtcp if given, else rtpPort + 1; rtpPort when rtcp-mux was answered. */
  rtcpPort: number;
  rtcpMux: boolean;
  codec: AudioCodec;
  payloadType: number;
  direction: Direction;
  /** The answer's telephone-event payload type, when it accepted RFC 4733 DTMF (at the codec's rate; opus: 48000 or 8000). */
  telephoneEvent?: number;
  /** Its clock rate, when there is one. */
  telephoneEventRate?: number;
  /** The stream's profile is RTP/SAVP (SRTP only). */
  savp?: true;
  /** Its a=crypto values (RFC 4568), in order; absent when none. */
  crypto?: string[];
}

export function writeOffer(o: AudioOffer): string {
  const ip = o.address.includes(':') ? 'IP6' : 'IP4';
  if (o.codecs.length === 0) throw new InvalidError('no codec to offer / kein Codec anzubieten');
  const formats = o.codecs.map((codec) => ({ codec, pt: o.payloadTypes?.[codec] ?? ourPayloadType(codec) }));
  const pts = formats.map((f) => f.pt);
  const events = o.telephoneEvents ?? [];
  const lines = [
    'v=0',
    `o=portier ${o.sessionId} ${o.version} IN ${ip} ${o.address}`,
    's=Portier',
    `c=IN ${ip} ${o.address}`,
    't=0 0',
    `m=audio ${o.rtpPort} ${o.savp ? 'RTP/SAVP' : 'RTP/AVP'} ${[...pts, ...events.map((e) => e.payloadType)].join(' ')}`,
    ...formats.flatMap((f) => formatLines(f.codec, f.pt)),
    ...events.flatMap((e) => [`a=rtpmap:${e.payloadType} telephone-event/${e.rate}`, `a=fmtp:${e.payloadType} 0-15`]),
    `a=rtcp:${o.rtcpPort}`,
    `a=ptime:${o.ptime ?? 20}`,
    ...(o.crypto ?? []).map((c) => `a=crypto:${c}`),
    `a=${o.direction ?? 'sendrecv'}`,
  ];
  return lines.join('\r\n') + '\r\n';
}

/**
 * The o= version of one session's SDP (inbound call and outbound leg alike): it goes up only when
 * the description changes — a session refresh repeats it (RFC 3264 §8), so the far end sees no new session.
 * `write` gives the SDP for a version; the returned function gives the one to send.
 */
export function sdpVersions(): (write: (version: number) => string) => string {
  let version = 0;
  let last = '';
  return (write) => {
    if (write(version) !== last) last = write(++version);
    return last;
  };
}

/**
 * Reads the far end's answer to our offer: the first audio stream with a
 * non-zero port, its first payload type that we offered, and where to
 * send. An answer without one is refused with `invalid` (the call is then
 * ended with BYE, RFC 3264 §6: nothing to talk with). `preferred`: a codec taken
 * wherever the stream lists it (an account with opus first answering an offer); else the stream's order decides.
 */
export function readAnswer(sdp: string, offered: readonly AudioCodec[], preferred?: AudioCodec): AudioAnswer {
  const lines = sdp.split(/\r?\n/).map((l) => l.trim()).filter((l) => /^[a-z]=/.test(l));
  let sessionAddress: string | undefined;
  let sessionDirection: Direction = 'sendrecv';
  let media: string[] | undefined;
  const audio: string[][] = [];
  for (const line of lines) {
    if (line.startsWith('m=')) {
      media = [line];
      if (line.startsWith('m=audio ')) audio.push(media);
      continue;
    }
    if (media) media.push(line);
    else if (line.startsWith('c=')) sessionAddress = connectionAddress(line);
    else if (isDirection(line.slice(2))) sessionDirection = line.slice(2) as Direction;
  }
  for (const section of audio) {
    const m = /^m=audio (\d+)(?:\/\d+)? (\S+) ([\d ]+)$/.exec(section[0]!);
    if (!m || !validPort(Number(m[1])) || !/^RTP\/S?AVP$/i.test(m[2]!)) continue;
    const rtpPort = Number(m[1]);
    const rtpmap = new Map<number, AudioCodec | undefined>();
    /** telephone-event payload type → its clock rate. */
    const telephoneEvents = new Map<number, number>();
    let address = sessionAddress;
    let direction = sessionDirection;
    let rtcp: number | undefined;
    let rtcpMux = false;
    const crypto: string[] = [];
    for (const line of section.slice(1)) {
      if (line.startsWith('c=')) address = connectionAddress(line) ?? address;
      else if (line.startsWith('a=rtpmap:')) {
        const r = /^a=rtpmap:(\d+) ([\w.-]+)\/(\d+)/.exec(line);
        if (r) rtpmap.set(Number(r[1]), codecOfRtpmap(r[2]!, r[3]!));
        if (r && r[2]!.toLowerCase() === 'telephone-event') telephoneEvents.set(Number(r[1]), Number(r[3]));
      } else if (line.startsWith('a=rtcp:')) rtcp = validPort(Number(/^a=rtcp:(\d+)/.exec(line)?.[1])) ? Number(/^a=rtcp:(\d+)/.exec(line)![1]) : undefined;
      else if (line === 'a=rtcp-mux') rtcpMux = true;
      else if (line.startsWith('a=crypto:')) crypto.push(line.slice('a=crypto:'.length));
      else if (isDirection(line.slice(2))) direction = line.slice(2) as Direction;
    }
    const listed = m[3]!.trim().split(/\s+/).map(Number);
    const usable = listed.map((pt) => ({ pt, codec: rtpmap.has(pt) ? rtpmap.get(pt) : STATIC[pt] }))
      .filter((f): f is { pt: number; codec: AudioCodec } => f.codec !== undefined && offered.includes(f.codec));
    const chosen = usable.find((f) => f.codec === preferred) ?? usable[0];
    if (chosen && address) {
      const { pt, codec } = chosen;
      const telephoneEvent = telephoneEventFor(codec, listed, telephoneEvents);
      return {
        address, rtpPort, rtcpPort: rtcpMux ? rtpPort : rtcp ?? rtpPort + 1, rtcpMux, codec, payloadType: pt, direction,
        ...(telephoneEvent === undefined ? {} : { telephoneEvent, telephoneEventRate: telephoneEvents.get(telephoneEvent)! }),
        ...(/^RTP\/SAVP$/i.test(m[2]!) ? { savp: true as const } : {}), ...(crypto.length > 0 ? { crypto } : {}),
      };
    }
  }
  throw new InvalidError('the answer has no audio codec we offered / die Antwort enthält keinen angebotenen Audio-Codec');
}

/**
 * The stream's telephone-event at the codec's clock rate (RFC 4733 §2.1); with opus also one at 8000,
 * which PBXs offer beside it (the relay reads the events in Node, whatever their rate).
 */
function telephoneEventFor(codec: AudioCodec, listed: readonly number[], events: ReadonlyMap<number, number>): number | undefined {
  const rate = clockRateOf(codec);
  return listed.find((pt) => events.get(pt) === rate) ?? (rate === 8000 ? undefined : listed.find((pt) => events.get(pt) === 8000));
}

function connectionAddress(line: string): string | undefined {
  return /^c=IN IP[46] ([^\s/]+)/.exec(line)?.[1];
}

const validPort = (port: number): boolean => Number.isInteger(port) && port > 0 && port < 65536;

const isDirection = (value: string): boolean => value === 'sendrecv' || value === 'sendonly' || value === 'recvonly' || value === 'inactive';
