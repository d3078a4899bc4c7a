// What the media of a call (call-media.ts) keeps per participant: its transports,
// producers and consumers and, for a telephone, the audio it hears (directly or in
// its G.711 mix); and what is tagged on every mediasoup object of a call.
import type { types as ms } from 'mediasoup';
import type { MediaParticipant, ParticipantKind, MediaKind, MediaParameters, ConsumerInfo } from '../calls/index.ts';
import type { ParticipantMix } from './participant-mix.ts';

/** What is tagged on every transport, producer and consumer of a call. */
export interface MediaAppData extends Record<string, unknown> { callId: string; participantId: string }

export interface ParticipantMedia {
  /** Replaced (not mutated) when its audio codec changes: callers may hold the old one. */
  info: MediaParticipant;
  /** A telephone set its audio codec: audio in another codec is refused (a produce already on its way when it changed). */
  audioFixed?: boolean;
  transports: Map<string, ms.WebRtcTransport | ms.PlainTransport>;
  /** Transport creations under way: they count against the limit before their await. */
  pendingTransports: number;
  producers: Map<string, ms.Producer>;
  /** Kinds with a producer or a produce under way. */
  producing: Map<MediaKind, number>;
  consumers: Map<string, ms.Consumer>;
  /** Producers this participant consumes or is about to (one consumer each: N copies of a stream would be N times its bandwidth). */
  consuming: Set<string>;
  /** A telephone: audio producers it hears (directly, or in its mix) or is about to. */
  audioFrom: Set<string>;
  /** A telephone: its audio consumes run one after another (the last one queued, settled either way). */
  audioTurn: Promise<unknown>;
  /** A telephone in a call of more than two: a mix of the process's budget is reserved for it. */
  mixReserved?: boolean;
  /** A telephone hearing more than one audio producer: its mix and the consumer of it. */
  mixed?: MixedAudio;
}

export interface MixedAudio {
  /** Producers mixed or about to be (reserved before the awaits). */
  sources: Set<string>;
  ready: Promise<{ mix: ParticipantMix; consumer: ms.Consumer }>;
}

export const BROWSERS: ReadonlySet<ParticipantKind> = new Set(['terminal', 'desk']);

/** An empty participant's media (nothing created yet). */
export function participantMedia(info: MediaParticipant, mixReserved: boolean): ParticipantMedia {
  return {
    info, transports: new Map(), pendingTransports: 0, producers: new Map(), producing: new Map(), consumers: new Map(), consuming: new Set(),
    audioFrom: new Set(), audioTurn: Promise.resolve(), mixReserved,
  };
}

export function consumerInfo(consumer: ms.Consumer, producerId: string): ConsumerInfo {
  return { id: consumer.id, producerId, kind: consumer.kind, rtpParameters: consumer.rtpParameters as unknown as MediaParameters };
}
