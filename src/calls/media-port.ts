// What a call needs from the SFU, as an interface the composition root fills
// (src/sfu implements it): one media session per call, participants keyed by id,
// each consuming every other participant's producers. The call session opens
// its media and closes it when it ends; nothing else does.
import type { TypedEmitter } from '../core/index.ts';

/** Who takes part in a call: browsers (terminal, desk) and, later, telephone and Teams legs. */
export type ParticipantKind = 'terminal' | 'desk' | 'sip' | 'teams';

/** The audio codec a participant receives (and sends); mediasoup never transcodes. */
export type AudioCodec = 'audio/opus' | 'audio/PCMU' | 'audio/PCMA';
/** How a telephone leg's media travels to its PBX: encrypted (SRTP, SDES keys) or plain RTP. */
export type MediaProtection = 'srtp' | 'rtp';

export type MediaKind = 'audio' | 'video';

/**
 * Parameters that travel between a client's media library and the SFU unchanged
 * (RTP capabilities and parameters, DTLS parameters). The SFU validates them.
 */
export type MediaParameters = Record<string, unknown>;

export interface MediaParticipant {
  id: string;
  kind: ParticipantKind;
  audioCodec: AudioCodec;
  /**
   * Whether it takes part in the call; false for a desk the call only rings,
   * which joins the media to prepare (see ringing-media.ts) and is admitted when
   * it answers (joins again without `preparing`).
   */
  inCall: boolean;
}

export interface WebRtcTransportInfo {
  id: string;
  iceParameters: MediaParameters;
  iceCandidates: MediaParameters[];
  dtlsParameters: MediaParameters;
}

/** A plain RTP transport (no ICE, no DTLS) for a participant that is not a browser. */
export interface PlainTransportInfo {
  id: string;
  ip: string;
  port: number;
}

export interface ProducerInfo { producerId: string; kind: MediaKind; participantId: string }

export interface ConsumerInfo { id: string; producerId: string; kind: MediaKind; rtpParameters: MediaParameters }

/** A consumer a participant holds, whose producer it consumes, and whether it is paused (by the SFU's side). */
export interface HeldConsumer { consumerId: string; producerId: string; producerParticipantId: string; paused: boolean }

/** Cumulative counters of one RTP stream as the SFU reports them. */
export interface StreamStats {
  /** Producer or consumer id: a replaced stream starts its counters afresh. */
  id: string;
  /** Packets received (a stream the participant sends) or sent (a stream it receives). */
  packets: number;
  /** Packets lost: seen by the SFU for what the participant sends, from its receiver reports for what it receives. */
  lost: number;
  /** Current interarrival jitter estimate (ms). */
  jitterMs: number;
  /** Current round-trip time (ms), when RTCP gave one. */
  rttMs: number | null;
}

/** One reading of a participant's media counters (for a quality monitor). */
export interface ParticipantStats {
  participantId: string;
  /** Audio the participant sends (its producers as the SFU receives them). */
  audioUp: StreamStats[];
  /** Audio the participant receives (its consumers as the SFU sends them). */
  audioDown: StreamStats[];
  /** Current bitrate of all its streams, both directions (bit/s). */
  bitrateBps: number;
  /** Cumulative NACK, PLI and FIR counts over all its streams (audio and video). */
  nack: number;
  pli: number;
  fir: number;
  /** Lowest SFU score (0–10) of its streams; null without streams. */
  score: number | null;
}

/**
 * What a telephone leg's far end reports about the audio it receives from us: its RTCP receiver
 * reports (RFC 3550), read by the SIP bridge's relay, which does not pass them to the SFU.
 */
export interface FarEndReport {
  /** The SSRC of our stream it reports on (one per other party's consumer): each stream counts on its own. */
  ssrc: number;
  /** The reporter's SSRC: another phone on our stream (the far end moved) counts on its own. */
  reporter: number;
  /**
   * Packets it expected from us, cumulative: its extended highest sequence number − the base it counts from + 1
   * (our first packet since the far end moved; for a reporter that came otherwise, its first report's: 0 then).
   */
  expected: number;
  /** Packets it lost, cumulative (RFC 3550: expected − received, so it may fall when late packets arrive). */
  lost: number;
  /** Its interarrival jitter (ms). */
  jitterMs: number;
  /** The round trip from our sender report's passing to its report's arrival, less its delay (DLSR); null before it got one. */
  rttMs: number | null;
}

export type CallMediaEvents = {
  /** The worker died or the router closed underneath the call. */
  failed: [Error];
};

/** For watchers that own nothing (signaling, a quality monitor). */
export type CallMediaObserverEvents = {
  newparticipant: [MediaParticipant];
  participantleft: [MediaParticipant];
  newproducer: [ProducerInfo];
  /** A producer closed while the call goes on (its participant left, reset or replaced it). */
  producerclose: [ProducerInfo];
  /** A producer's score (0–10) as mediasoup reports it. */
  score: [producerId: string, participantId: string, score: number];
  /** A telephone leg's far end reported what it receives (farEndReport). */
  farendreport: [participantId: string, report: FarEndReport];
  close: [];
};

/** One participant taking another's place in a call (CallMedia.assertRoomFor). */
export interface RoomSwap { joining: string; leaving: string; audioCodec?: AudioCodec }

/** The media of one call. Limits are checked and reserved before any await. */
export interface CallMedia extends TypedEmitter<CallMediaEvents> {
  readonly closed: boolean;
  readonly observer: TypedEmitter<CallMediaObserverEvents>;
  readonly rtpCapabilities: MediaParameters;
  participants(): MediaParticipant[];
  participant(id: string): MediaParticipant | undefined;
  /** Adds a participant; a conflict when the multi-party policy refuses it (see docs/signaling.md). */
  join(participant: { id: string; kind: ParticipantKind; audioCodec?: AudioCodec; preparing?: boolean }): MediaParticipant;
  /**
   * Throws the conflict `join` would throw for one more participant of `kind` (limits of the audio mix), reserving nothing;
   * `swap`: the participant `joining` (prepared, or not yet known) takes the place of `leaving` (a PBX's move, review s26 #2).
   */
  assertRoomFor?(kind: ParticipantKind, swap?: RoomSwap): void;
  /**
   * Changes the audio codec a participant receives (a telephone leg answered in
   * G.711: the terminal receives it, and sends it once it produced again in that
   * codec). Consumers it already holds keep their codec; its audio producers in
   * another codec are closed, so it may produce again in this one.
   */
  setAudioCodec(participantId: string, codec: AudioCodec): void;
  /** Closes the participant's transports (and with them its producers and consumers). */
  leave(participantId: string): void;
  /** Closes the participant's transports but keeps it in the call (a reconnecting client starts afresh). */
  reset(participantId: string): void;
  createWebRtcTransport(participantId: string): Promise<WebRtcTransportInfo>;
  createPlainTransport(participantId: string, options: { ip: string; comedia: boolean }): Promise<PlainTransportInfo>;
  connectWebRtc(participantId: string, transportId: string, dtlsParameters: MediaParameters): Promise<void>;
  /** Where a plain transport sends its RTP (not needed with comedia). */
  connectPlain(participantId: string, transportId: string, remote: { ip: string; port: number }): Promise<void>;
  produce(participantId: string, transportId: string, kind: MediaKind, rtpParameters: MediaParameters): Promise<string>;
  /** Producers of every other participant: what `participantId` may consume. */
  producersFor(participantId: string): ProducerInfo[];
  /**
   * Consumes another participant's producer. Without `rtpCapabilities` (a plain
   * RTP participant) the participant's codec decides; a producer in another audio
   * codec is refused with `unavailable` (no transcoding).
   */
  consume(participantId: string, transportId: string, producerId: string, rtpCapabilities?: MediaParameters): Promise<ConsumerInfo>;
  resume(participantId: string, consumerId: string): Promise<void>;
  /** Pauses one of the participant's consumers (the call puts a participant on hold). */
  pauseConsumer(participantId: string, consumerId: string): Promise<void>;
  /** The consumers a participant holds now (none for an unknown participant). */
  consumersOf(participantId: string): HeldConsumer[];
  pauseProducer(participantId: string, producerId: string, paused: boolean): Promise<void>;
  counts(participantId: string): { transports: number; producers: number; consumers: number };
  /** Reads the counters of every participant with a producer or consumer open (for a quality monitor). */
  stats(): Promise<ParticipantStats[]>;
  /** A telephone leg passes on its far end's receiver report (the SFU never sees it): told to the observer's watchers. */
  farEndReport(participantId: string, report: FarEndReport): void;
  /** Closes the router and everything on it (idempotent). */
  close(): void;
}

/** Opens the media of a call: a router on the least-loaded worker. */
export interface MediaPort {
  open(callId: string): Promise<CallMedia>;
}

/** Transports a participant may hold (a send and a receive transport) and producers per kind. */
export const MEDIA_LIMITS = { transportsPerParticipant: 2, producersPerKind: 1 } as const;
