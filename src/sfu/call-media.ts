// The media of one call (the calls component's CallMedia port): a router on the
// least-loaded worker and, per participant, its transports, producers and
// consumers, each tagged with the participant in mediasoup's appData. Any
// number of participants each consume every other participant's producers.
// mediasoup never transcodes: the router offers opus, PCMU, PCMA, VP8 and
// H.264, and each participant receives audio in the codec it joined with.
// mediasoup does not mix either: a telephone in a call of more than two hears
// one G.711 mix of the others (telephone-audio.ts) instead of their streams; a
// telephone on opus (no mix of opus in Node) keeps its call to two parties.
// The router's codecs are in router-codecs.ts, what is kept per participant in
// participant-media.ts.
import type { types as ms } from 'mediasoup';
import { TypedEmitter, ConflictError, InvalidError, NotFoundError, UnavailableError, type EventMap } from '../core/index.ts';
import {
  MEDIA_LIMITS, type CallMedia, type CallMediaEvents, type FarEndReport, type CallMediaObserverEvents, type MediaParticipant, type ParticipantKind,
  type AudioCodec, type MediaKind, type MediaParameters, type WebRtcTransportInfo, type PlainTransportInfo, type ProducerInfo, type ConsumerInfo, type HeldConsumer, type ParticipantStats, type RoomSwap,
} from '../calls/index.ts';
import { lawOf } from '../media/index.ts';
import { readStats } from './media-stats.ts';
import { defaultMixOptions, type MixOptions } from './mix-budget.ts';
import { BROWSERS, consumerInfo, participantMedia, type MediaAppData, type ParticipantMedia } from './participant-media.ts';
import { consumeTelephoneAudio, type TelephoneAudioCall } from './telephone-audio.ts';

/** An emitter whose owner may emit (the observer of a CallMedia). */
class Observer<E extends EventMap> extends TypedEmitter<E> {
  emit<K extends keyof E & string>(event: K, ...args: E[K]): void { this.safeEmit(event, ...args); }
}

function mixLimit(max: number): ConflictError {
  return new ConflictError(`the gateway mixes audio for ${max} telephones at most (rtc.mix.max_mixes_per_process)`, { reason: 'call.mix-limit', params: { max } });
}

export class SfuCallMedia extends TypedEmitter<CallMediaEvents> implements CallMedia {
  readonly callId: string;
  readonly router: ms.Router;
  readonly observer = new Observer<CallMediaObserverEvents>();
  readonly #server: ms.WebRtcServer;
  readonly #participants = new Map<string, ParticipantMedia>();
  readonly #mixOptions: MixOptions;
  /** What a telephone's audio (its direct consumer or its mix) needs of this call. */
  readonly #telephones: TelephoneAudioCall;
  #closed = false;

  constructor(callId: string, router: ms.Router, server: ms.WebRtcServer, mix: MixOptions = defaultMixOptions()) {
    super();
    this.callId = callId;
    this.router = router;
    this.#server = server;
    this.#mixOptions = mix;
    this.#telephones = {
      callId, router, mixSettings: mix.settings,
      capabilitiesOf: (info) => this.#capabilitiesOf(info),
      producerOf: (producerId) => this.#producerOf(producerId),
      consumeDirect: (p, transport, producerId, caps) => this.#consumeDirect(p, transport, producerId, caps),
    };
    router.on('workerclose', () => {
      if (this.#closed) return;
      this.safeEmit('failed', new Error('media worker died'));
      this.close();
    });
  }

  get closed(): boolean { return this.#closed; }
  get rtpCapabilities(): MediaParameters { return this.router.rtpCapabilities as unknown as MediaParameters; }

  participants(): MediaParticipant[] { return [...this.#participants.values()].map((p) => p.info); }
  participant(id: string): MediaParticipant | undefined { return this.#participants.get(id)?.info; }

  join(p: { id: string; kind: ParticipantKind; audioCodec?: AudioCodec; preparing?: boolean }): MediaParticipant {
    this.#assertOpen();
    const known = this.#participants.get(p.id);
    // A desk that prepared while the call rang it is admitted when it answers.
    if (known && !known.info.inCall && !p.preparing) {
      if (this.#admit(known.info)) known.mixReserved = true;
      known.info = { ...known.info, inCall: true };
    }
    if (known) return known.info;
    // Desks that only ring prepare beside each other (a group); the one that answers is checked when admitted.
    const mixReserved = !p.preparing && this.#admit(p);
    const info: MediaParticipant = { id: p.id, kind: p.kind, audioCodec: p.audioCodec ?? 'audio/opus', inCall: !p.preparing };
    this.#participants.set(p.id, participantMedia(info, mixReserved));
    this.observer.emit('newparticipant', info);
    return info;
  }

  /**
   * mediasoup does not mix audio: a telephone plays one stream, so once a call
   * with a telephone participant has more than two parties each telephone needs
   * a G.711 mix of the others. Refused (conflict) beyond rtc.mix.max_participants
   * or when the process runs its rtc.mix.max_mixes_per_process already; the mixes
   * are reserved here, before any media work. Returns whether `p` itself got one.
   */
  #admit(p: { id: string; kind: ParticipantKind; audioCodec?: AudioCodec }): boolean {
    const needing = this.#mixesFor(p);
    if (needing.length === 0) return false;
    const { budget } = this.#mixOptions;
    if (!budget.take(needing.length)) throw mixLimit(budget.max);
    for (const x of needing) {
      const known = this.#participants.get(x.id);
      if (known) known.mixReserved = true;
    }
    return needing.some((x) => x.id === p.id);
  }

  /**
   * Whether one more participant of `kind` could join now — the rule of #admit without reserving
   * anything: asked before a colleague's desks are rung, so nobody answers into a refusal (review s23 #6).
   */
  assertRoomFor(kind: ParticipantKind, swap?: RoomSwap): void {
    this.#assertOpen();
    const candidate = swap ? { id: swap.joining, kind, ...(swap.audioCodec ? { audioCodec: swap.audioCodec } : {}) } : { id: '\0candidate', kind };
    const needing = this.#mixesFor(candidate, swap?.leaving);
    // The one leaving gives its mix back first.
    const freed = swap && this.#participants.get(swap.leaving)?.mixReserved ? 1 : 0;
    const { budget } = this.#mixOptions;
    if (budget.used - freed + needing.length > budget.max) throw mixLimit(budget.max);
  }

  /**
   * The telephones that need a mix not yet reserved once `p` is in the call; conflict beyond max_participants,
   * and for a telephone on opus (call.mix-codec): a mix is G.711 (src/media), and an opus telephone hears one stream.
   */
  #mixesFor(p: { id: string; kind: ParticipantKind; audioCodec?: AudioCodec }, leaving?: string): Array<{ id: string; kind: ParticipantKind }> {
    const all = [...this.participants().filter((x) => x.inCall && x.id !== p.id && x.id !== leaving), p];
    const phones = all.filter((x) => !BROWSERS.has(x.kind));
    if (phones.length === 0 || all.length <= 2) return [];
    const unmixed = phones.map((x) => this.#participants.get(x.id)?.info.audioCodec ?? x.audioCodec).find((codec) => codec !== undefined && !lawOf(codec));
    if (unmixed) {
      throw new ConflictError(`a telephone speaking ${unmixed} hears one party only: its call takes no third (a mix is G.711)`, { reason: 'call.mix-codec', params: { codec: unmixed.slice('audio/'.length) } });
    }
    const max = this.#mixOptions.maxParticipants;
    if (all.length > max) {
      throw new ConflictError(`a call with a telephone participant takes at most ${max} parties (rtc.mix.max_participants)`, { reason: 'call.participant-limit', params: { max } });
    }
    return phones.filter((x) => !this.#participants.get(x.id)?.mixReserved);
  }

  setAudioCodec(participantId: string, codec: AudioCodec): void {
    const p = this.#of(participantId);
    p.info = { ...p.info, audioCodec: codec };
    p.audioFixed = true;
    // Its audio in another codec reaches nobody now: it goes (with its consumers), so the participant may produce again.
    for (const producer of [...p.producers.values()]) {
      if (producer.kind === 'audio' && producer.rtpParameters.codecs[0]?.mimeType.toLowerCase() !== codec.toLowerCase()) producer.close();
    }
  }

  leave(participantId: string): void {
    const p = this.#participants.get(participantId);
    if (!p) return;
    this.reset(participantId);
    if (p.mixReserved) this.#mixOptions.budget.release();
    this.#participants.delete(participantId);
    this.observer.emit('participantleft', p.info);
  }

  reset(participantId: string): void {
    const p = this.#participants.get(participantId);
    if (!p) return;
    for (const t of [...p.transports.values()]) t.close();
  }

  #of(participantId: string): ParticipantMedia {
    this.#assertOpen();
    const p = this.#participants.get(participantId);
    if (!p) throw new NotFoundError(`participant ${participantId} is not in this call`);
    return p;
  }

  /** Counts a transport against the participant's limit before the await that creates it. */
  async #withTransportSlot<T extends ms.WebRtcTransport | ms.PlainTransport>(participantId: string, create: (appData: MediaAppData) => Promise<T>): Promise<T> {
    const p = this.#of(participantId);
    const limit = MEDIA_LIMITS.transportsPerParticipant;
    if (p.transports.size + p.pendingTransports >= limit) throw new ConflictError(`at most ${limit} transports per participant`);
    p.pendingTransports += 1;
    let t: T;
    try {
      t = await create({ callId: this.callId, participantId });
    } finally {
      p.pendingTransports -= 1;
    }
    p.transports.set(t.id, t);
    (t as ms.Transport).observer.once('close', () => p.transports.delete(t.id));
    return t;
  }

  async createWebRtcTransport(participantId: string): Promise<WebRtcTransportInfo> {
    const t = await this.#withTransportSlot(participantId, (appData) => this.router.createWebRtcTransport({
      webRtcServer: this.#server, enableUdp: true, enableTcp: true, preferUdp: true, initialAvailableOutgoingBitrate: 1_000_000, appData,
    }));
    return {
      id: t.id, iceParameters: t.iceParameters as unknown as MediaParameters,
      iceCandidates: t.iceCandidates as unknown as MediaParameters[], dtlsParameters: t.dtlsParameters as unknown as MediaParameters,
    };
  }

  /** A plain RTP transport for a participant that is not a browser: RTCP multiplexed, no SRTP. */
  async createPlainTransport(participantId: string, options: { ip: string; comedia: boolean }): Promise<PlainTransportInfo> {
    const t = await this.#withTransportSlot(participantId, (appData) => this.router.createPlainTransport({
      listenInfo: { protocol: 'udp', ip: options.ip }, rtcpMux: true, comedia: options.comedia, appData,
    }));
    return { id: t.id, ip: t.tuple.localAddress ?? t.tuple.localIp, port: t.tuple.localPort };
  }

  #transport(participantId: string, id: string): ms.WebRtcTransport | ms.PlainTransport {
    const t = this.#of(participantId).transports.get(id);
    if (!t) throw new NotFoundError(`transport ${id} not found`);
    return t;
  }

  async connectWebRtc(participantId: string, transportId: string, dtlsParameters: MediaParameters): Promise<void> {
    const t = this.#transport(participantId, transportId);
    if (t.type !== 'webrtc') throw new InvalidError('only WebRTC transports connect with DTLS parameters');
    await (t as ms.WebRtcTransport).connect({ dtlsParameters: dtlsParameters as unknown as ms.DtlsParameters });
  }

  async connectPlain(participantId: string, transportId: string, remote: { ip: string; port: number }): Promise<void> {
    const t = this.#transport(participantId, transportId);
    if (t.type !== 'plain') throw new InvalidError('only plain transports connect to an address');
    await (t as ms.PlainTransport).connect({ ip: remote.ip, port: remote.port });
  }

  async produce(participantId: string, transportId: string, kind: MediaKind, rtpParameters: MediaParameters): Promise<string> {
    const p = this.#of(participantId);
    const transport = this.#transport(participantId, transportId);
    const sends = String((rtpParameters as { codecs?: Array<{ mimeType?: unknown }> }).codecs?.[0]?.mimeType ?? '').toLowerCase();
    const otherCodec = () => kind === 'audio' && p.audioFixed && sends !== p.info.audioCodec.toLowerCase();
    const otherCodecError = () => new ConflictError(`this participant sends audio in ${p.info.audioCodec} now (a telephone answered)`);
    if (otherCodec()) throw otherCodecError();
    const limit = MEDIA_LIMITS.producersPerKind;
    const used = p.producing.get(kind) ?? 0;
    if (used >= limit) throw new ConflictError(`this participant already sends ${kind}`);
    // Reserved before the await: parallel requests see it at once.
    p.producing.set(kind, used + 1);
    const release = () => p.producing.set(kind, (p.producing.get(kind) ?? 1) - 1);
    let producer: ms.Producer;
    try {
      producer = await transport.produce({
        kind, rtpParameters: rtpParameters as unknown as ms.RtpParameters, appData: { callId: this.callId, participantId } satisfies MediaAppData,
      });
    } catch (error) {
      release();
      throw error;
    }
    // The codec may have been fixed during the await: the page produces again in it.
    if (otherCodec()) {
      producer.close();
      release();
      throw otherCodecError();
    }
    p.producers.set(producer.id, producer);
    producer.observer.once('close', () => {
      p.producers.delete(producer.id);
      release();
      if (!this.#closed) this.observer.emit('producerclose', { producerId: producer.id, kind: producer.kind, participantId });
    });
    producer.on('score', (scores) => this.observer.emit('score', producer.id, participantId, scores[0]?.score ?? 0));
    this.observer.emit('newproducer', { producerId: producer.id, kind: producer.kind, participantId });
    return producer.id;
  }

  producersFor(participantId: string): ProducerInfo[] {
    this.#of(participantId);
    return [...this.#participants.values()].filter((p) => p.info.id !== participantId)
      .flatMap((p) => [...p.producers.values()].map((x) => ({ producerId: x.id, kind: x.kind, participantId: p.info.id })));
  }

  #producerOfOthers(participantId: string, producerId: string): ms.Producer {
    for (const p of this.#participants.values()) {
      if (p.info.id === participantId) continue;
      const producer = p.producers.get(producerId);
      if (producer) return producer;
    }
    throw new NotFoundError(`producer ${producerId} not found`);
  }

  /** The router's capabilities narrowed to the participant's audio codec (for plain RTP participants). */
  #capabilitiesOf(info: MediaParticipant): ms.RtpCapabilities {
    const caps = this.router.rtpCapabilities;
    return {
      ...caps,
      codecs: (caps.codecs ?? []).filter((c) => c.kind === 'video' || c.mimeType.toLowerCase() === info.audioCodec.toLowerCase()),
    };
  }

  async consume(participantId: string, transportId: string, producerId: string, rtpCapabilities?: MediaParameters): Promise<ConsumerInfo> {
    const p = this.#of(participantId);
    const transport = this.#transport(participantId, transportId);
    const producer = this.#producerOfOthers(participantId, producerId);
    const sent = producer.rtpParameters.codecs[0]?.mimeType ?? '';
    if (producer.kind === 'audio' && sent.toLowerCase() !== p.info.audioCodec.toLowerCase()) {
      throw new UnavailableError(`this participant receives ${p.info.audioCodec}, the producer sends ${sent}, and the SFU does not transcode`);
    }
    const caps = (rtpCapabilities as unknown as ms.RtpCapabilities | undefined) ?? this.#capabilitiesOf(p.info);
    if (!this.router.canConsume({ producerId, rtpCapabilities: caps })) throw new InvalidError('cannot consume this producer with these capabilities');
    // Reserved before the await, so parallel requests cannot each get a copy.
    if (p.consuming.has(producerId)) throw new ConflictError(`participant ${participantId} already consumes producer ${producerId}`);
    p.consuming.add(producerId);
    if (producer.kind === 'audio' && !BROWSERS.has(p.info.kind)) return consumeTelephoneAudio(this.#telephones, p, transport, producer, caps);
    return this.#consumeDirect(p, transport, producerId, caps);
  }

  /** One consumer of the producer on the participant's transport (reserved in `consuming` by the caller). */
  async #consumeDirect(p: ParticipantMedia, transport: ms.WebRtcTransport | ms.PlainTransport, producerId: string, caps: ms.RtpCapabilities): Promise<ConsumerInfo> {
    const released = () => { p.consuming.delete(producerId); p.audioFrom.delete(producerId); };
    let consumer: ms.Consumer;
    try {
      consumer = await transport.consume({
        producerId, rtpCapabilities: caps, paused: true, appData: { callId: this.callId, participantId: p.info.id } satisfies MediaAppData,
      });
    } catch (error) {
      released();
      throw error;
    }
    p.consumers.set(consumer.id, consumer);
    consumer.observer.once('close', () => {
      p.consumers.delete(consumer.id);
      // Its producer moved into the participant's mix: still heard.
      if (!p.mixed?.sources.has(producerId)) released();
    });
    return consumerInfo(consumer, producerId);
  }

  #producerOf(producerId: string): ms.Producer | undefined {
    for (const p of this.#participants.values()) {
      const producer = p.producers.get(producerId);
      if (producer) return producer;
    }
    return undefined;
  }

  async resume(participantId: string, consumerId: string): Promise<void> {
    const consumer = this.#of(participantId).consumers.get(consumerId);
    if (!consumer) throw new NotFoundError(`consumer ${consumerId} not found`);
    await consumer.resume();
  }

  async pauseConsumer(participantId: string, consumerId: string): Promise<void> {
    const consumer = this.#of(participantId).consumers.get(consumerId);
    if (!consumer) throw new NotFoundError(`consumer ${consumerId} not found`);
    await consumer.pause();
  }

  consumersOf(participantId: string): HeldConsumer[] {
    const p = this.#participants.get(participantId);
    if (!p) return [];
    const owner = (producerId: string) => [...this.#participants.values()].find((o) => o.producers.has(producerId))?.info.id ?? '';
    return [...p.consumers.values()].map((c) => ({ consumerId: c.id, producerId: c.producerId, producerParticipantId: owner(c.producerId), paused: c.paused }));
  }

  async pauseProducer(participantId: string, producerId: string, paused: boolean): Promise<void> {
    const producer = this.#of(participantId).producers.get(producerId);
    if (!producer) throw new NotFoundError(`producer ${producerId} not found`);
    await (paused ? producer.pause() : producer.resume());
  }

  counts(participantId: string): { transports: number; producers: number; consumers: number } {
    const p = this.#participants.get(participantId);
    return { transports: p?.transports.size ?? 0, producers: p?.producers.size ?? 0, consumers: p?.consumers.size ?? 0 };
  }

  stats(): Promise<ParticipantStats[]> {
    return readStats([...this.#participants.values()].map((p) => ({
      participantId: p.info.id, producers: [...p.producers.values()], consumers: [...p.consumers.values()],
    })));
  }

  /** Only a participant of the open call reports; the SFU keeps nothing of it (a quality monitor listens). */
  farEndReport(participantId: string, report: FarEndReport): void {
    if (!this.#closed && this.#participants.has(participantId)) this.observer.emit('farendreport', participantId, report);
  }

  #assertOpen(): void {
    if (this.#closed) throw new UnavailableError('the call has no media any more');
  }

  /** Closes the router, and with it every transport, producer and consumer of the call. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.router.close();
    this.#mixOptions.budget.release([...this.#participants.values()].filter((p) => p.mixReserved).length);
    this.#participants.clear();
    this.observer.emit('close');
    this.observer.removeAllListeners();
    this.removeAllListeners();
  }
}
