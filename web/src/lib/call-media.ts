// Browser side of a call's media with mediasoup-client: one send transport
// (camera and microphone; video in three simulcast layers so a weak receiver
// gets a lower one) and one receive transport for the other party's tracks.
// A desk prepares while its call rings (capabilities, both transports, the
// visitor's producers consumed — the gateway keeps them paused until it answers
// — and a video producer, with a placeholder track unless its user let the
// camera start while ringing, which the gateway announces only at the answer),
// so answering only starts the flow and swaps in the camera. A terminal consumes
// what ringing desks send at once (its receive transport connects before the
// answer; the gateway keeps it paused) but shows only the answering desk's,
// which the gateway announces again after the answer.
import { Device, type types } from 'mediasoup-client';
import type { Socket } from 'socket.io-client';

type AckOk<T> = { ok: true } & T;
type Ack<T> = AckOk<T> | { ok: false; error: string; message: string };
type ProducerRef = { producerId: string; early?: true };

async function request<T>(socket: Socket, event: string, payload: unknown): Promise<AckOk<T>> {
  const res = await socket.timeout(10_000).emitWithAck(event, payload) as Ack<T>;
  if (!res.ok) throw new Error(`${event}: ${res.error}: ${res.message}`);
  return res;
}

/** The compact receive statistics a page reports (the contract's quality.report without callId). */
export interface ReceiveStats {
  audio?: { packetsReceived: number; packetsLost: number; packetsDiscarded: number; jitterMs: number };
  video?: { framesDecoded: number; framesDropped: number; freezeCount: number };
  rttMs: number | null;
}

export class CallMediaClient {
  readonly remote = new MediaStream();
  readonly callId: string;
  readonly #socket: Socket;
  readonly #device = new Device();
  #send?: types.Transport;
  #recv?: types.Transport;
  #consumed = new Set<string>();
  /** The consumer of each producer consumed: closed (its receiver stopped) when that producer closes. */
  #consumers = new Map<string, types.Consumer>();
  #pending: string[] = [];
  #ready = false;
  #prepared?: Promise<void>;
  #producers = new Map<string, types.Producer>();
  /** The audio codec the gateway asked for (media.codec: a telephone answered); undefined: the call's own. */
  #audioCodec?: string;
  /** Tracks consumed before the answer, by producer: shown once announced again after the answer. */
  #aside = new Map<string, MediaStreamTrack>();
  /**
   * What a telephone sends before it answers (SIP early media: the PBX's ringback or an
   * announcement): the page plays it while the call rings. Its track is also kept aside
   * and moves to `remote` when the phone answers and its producer is announced again.
   */
  readonly #early = new MediaStream();
  /** The track of each producer consumed, shown or aside. */
  #tracks = new Map<string, MediaStreamTrack>();
  #answered: boolean;
  #closed = false;
  /** Producers announced as early media before the transports existed (consumed right after). */
  #earlyIds = new Set<string>();

  readonly #onEarly?: (early: MediaStream) => void;

  /**
   * `answered: false` for a call that still rings: what is consumed meanwhile is kept aside.
   * `onEarly` hears each track of early media as it arrives (a fresh stream with every early track so far).
   */
  constructor(socket: Socket, callId: string, options: { answered?: boolean; onEarly?: (early: MediaStream) => void } = {}) {
    this.#socket = socket;
    this.callId = callId;
    this.#answered = options.answered ?? true;
    this.#onEarly = options.onEarly;
  }

  /** The call was answered: producers announced from now on are shown. */
  answered(): void { this.#answered = true; }

  /**
   * A blind transfer: the desk that answered left the call, so what was received
   * of it is stopped and no longer shown (the gateway's media.producer-closed for
   * each of its producers follows and closes their consumers); until the next
   * answer, what a ringing target sends is kept aside as while the call first rang.
   */
  transferring(): void {
    this.#answered = false;
    for (const track of this.remote.getTracks()) { this.remote.removeTrack(track); track.stop(); }
  }

  async #transport(direction: 'send' | 'recv'): Promise<types.Transport> {
    const { transport } = await request<{ transport: types.TransportOptions }>(this.#socket, 'media.transport', { callId: this.callId });
    const t = direction === 'send' ? this.#device.createSendTransport(transport) : this.#device.createRecvTransport(transport);
    t.on('connect', ({ dtlsParameters }, ok, fail) => {
      request(this.#socket, 'media.connect', { callId: this.callId, transportId: t.id, dtlsParameters }).then(() => ok(), fail);
    });
    if (direction === 'send') {
      t.on('produce', ({ kind, rtpParameters }, ok, fail) => {
        request<{ producerId: string }>(this.#socket, 'media.produce', { callId: this.callId, transportId: t.id, kind, rtpParameters })
          .then((r) => ok({ id: r.producerId }), fail);
      });
    }
    return t;
  }

  /**
   * Loads the router's capabilities, creates both transports and consumes what
   * the other side already sends (idempotent). A ringing desk calls it when the
   * ring arrives; what it consumes stays paused at the gateway until it answers.
   * With `video`, it also produces that track (the send transport connects now).
   */
  prepare(video?: Promise<MediaStreamTrack>): Promise<void> {
    this.#prepared ??= (async () => {
      const caps = await request<{ rtpCapabilities: types.RtpCapabilities; producers: ProducerRef[] }>(this.#socket, 'media.capabilities', { callId: this.callId });
      if (!this.#device.loaded) await this.#device.load({ routerRtpCapabilities: caps.rtpCapabilities });
      [this.#send, this.#recv] = await Promise.all([this.#transport('send'), this.#transport('recv')]);
      this.#ready = true;
      for (const p of caps.producers) if (p.early) this.#earlyIds.add(p.producerId);
      const ids = [...caps.producers.map((p) => p.producerId), ...this.#pending];
      this.#pending.length = 0;
      // Paused at once (here and at the gateway): nothing of it reaches anyone before the answer swaps the camera in.
      await Promise.all([...ids.map((id) => this.consume(id)), video?.then(async (track) => { await this.#produce(track); await this.setPaused('video', true); })]);
    })().catch((error: unknown) => { this.#prepared = undefined; throw error; });
    return this.#prepared;
  }

  async #produce(track: MediaStreamTrack, audioCodec = 'audio/opus'): Promise<void> {
    if (this.#closed) return;
    const wanted = this.#audioCodec ?? audioCodec;
    const codec = track.kind === 'audio' ? this.#device.rtpCapabilities.codecs?.find((c) => c.mimeType.toLowerCase() === wanted.toLowerCase()) : undefined;
    const producing = this.#send!.produce({
      track,
      // The page owns the camera and microphone: closing a transport (reconnect) must not end them.
      stopTracks: false,
      ...(codec ? { codec } : {}),
      ...(track.kind === 'video' ? {
        encodings: [
          { rid: 'r0', maxBitrate: 150_000, scaleResolutionDownBy: 4 },
          { rid: 'r1', maxBitrate: 500_000, scaleResolutionDownBy: 2 },
          { rid: 'r2', maxBitrate: 1_200_000, scaleResolutionDownBy: 1 },
        ],
        codecOptions: { videoGoogleStartBitrate: 1000 },
      } : {}),
    });
    const producer = await producing.catch((error: unknown) => {
      // A telephone answered while this produce was on its way: the gateway refused the old codec; once more in the new one.
      if (track.kind === 'audio' && this.#audioCodec && this.#audioCodec !== wanted) return undefined;
      throw error;
    });
    if (!producer) return this.#produce(track, this.#audioCodec);
    this.#producers.set(track.kind, producer);
  }

  /**
   * Prepares (if not done yet) and sends the local tracks, video first (the other
   * side waits for its first frame); a track produced while preparing is replaced.
   */
  async start(local: MediaStream, audioCodec = 'audio/opus'): Promise<void> {
    await this.prepare();
    for (const track of [...local.getVideoTracks(), ...local.getAudioTracks()]) {
      if (this.#closed) return;
      const producer = this.#producers.get(track.kind);
      if (!producer) await this.#produce(track, audioCodec);
      else {
        const placeholder = producer.track;
        if (placeholder !== track) await producer.replaceTrack({ track });
        if (placeholder && placeholder !== track && !local.getTracks().includes(placeholder)) placeholder.stop();
        // The producer prepared while ringing flows from now on, with the camera (the gateway asks for a key frame).
        if (producer.paused) await this.setPaused(track.kind as 'audio' | 'video', false);
      }
    }
  }

  /**
   * The gateway asks for audio in another codec (a telephone answered in G.711;
   * it closed the old producer): the microphone is produced again in it.
   */
  async produceAudioIn(audioCodec: string): Promise<void> {
    this.#audioCodec = audioCodec;
    const producer = this.#producers.get('audio');
    // Not produced yet (a phone that answers at once): it will be, in this codec.
    if (!producer?.track || producer.rtpParameters.codecs[0]?.mimeType.toLowerCase() === audioCodec.toLowerCase()) return;
    // The producer was made with stopTracks: false, so closing it leaves the microphone live for the new one
    // (the page's own track, which endMedia stops; a clone here stayed live after the call).
    const track = producer.track;
    producer.close();
    this.#producers.delete('audio');
    await this.#produce(track, audioCodec);
  }

  /** Consumes a producer of the other side; one announced before the transports exist is consumed right after. */
  async consume(producerId: string, options: { early?: boolean } = {}): Promise<void> {
    if (!this.#ready) { this.#pending.push(producerId); if (options.early) this.#earlyIds.add(producerId); return; }
    if (this.#closed || !this.#recv) return;
    if (this.#consumed.has(producerId)) {
      // Announced again after the answer: the answering desk's (or telephone's), consumed while it rang.
      const track = this.#aside.get(producerId);
      if (track && this.#answered) { this.#aside.delete(producerId); this.#early.removeTrack(track); this.remote.addTrack(track); }
      return;
    }
    this.#consumed.add(producerId);
    const { consumer: params } = await request<{ consumer: types.ConsumerOptions }>(this.#socket, 'media.consume', {
      callId: this.callId, transportId: this.#recv.id, producerId, rtpCapabilities: this.#device.recvRtpCapabilities,
    });
    const consumer = await this.#recv.consume(params);
    this.#consumers.set(producerId, consumer);
    this.#tracks.set(producerId, consumer.track);
    if (this.#answered) this.remote.addTrack(consumer.track);
    else {
      this.#aside.set(producerId, consumer.track);
      if (options.early || this.#earlyIds.delete(producerId)) {
        this.#early.addTrack(consumer.track);
        this.#onEarly?.(new MediaStream(this.#early.getTracks()));
      }
    }
    // While the desk still rings the gateway acknowledges and keeps the consumer paused until the answer.
    await request(this.#socket, 'media.resume', { callId: this.callId, consumerId: consumer.id });
  }

  /**
   * A producer of the other side closed (its participant left): its track stops and is no longer shown,
   * and its consumer closes (the page keeps no receiver for it).
   */
  producerClosed(producerId: string): void {
    const track = this.#tracks.get(producerId);
    if (!track) return;
    this.#tracks.delete(producerId);
    this.#aside.delete(producerId);
    this.#early.removeTrack(track);
    this.remote.removeTrack(track);
    track.stop();
    this.#consumers.get(producerId)?.close();
    this.#consumers.delete(producerId);
    this.#consumed.delete(producerId);
  }

  /** Mutes the microphone or turns the camera off (the producer pauses at the gateway too). */
  async setPaused(kind: 'audio' | 'video', paused: boolean): Promise<void> {
    const producer = this.#producers.get(kind);
    if (!producer) return;
    if (paused) producer.pause(); else producer.resume();
    await request(this.#socket, 'media.pause', { callId: this.callId, producerId: producer.id, paused });
  }

  /**
   * What this page receives, for the gateway's quality monitor (quality.report): its
   * inbound audio and video summed over its receivers (cumulative counters), and the
   * round-trip time of its connections' selected candidate pairs (the worse one).
   */
  async stats(): Promise<ReceiveStats> {
    const out: ReceiveStats = { rttMs: null };
    for (const t of [this.#recv, this.#send]) {
      if (!t || t.closed) continue;
      const report = await t.getStats();
      // The pair the connection uses now (a pair nominated earlier keeps its last, stale round-trip time).
      const selected = new Set<unknown>();
      report.forEach((s: Record<string, unknown>) => { if (s.type === 'transport' && s.selectedCandidatePairId) selected.add(s.selectedCandidatePairId); });
      report.forEach((s: Record<string, unknown>) => {
        const n = (k: string) => (typeof s[k] === 'number' ? s[k] as number : 0);
        if (s.type === 'inbound-rtp' && s.kind === 'audio') {
          const a = out.audio ??= { packetsReceived: 0, packetsLost: 0, packetsDiscarded: 0, jitterMs: 0 };
          a.packetsReceived += n('packetsReceived');
          a.packetsLost += Math.max(0, n('packetsLost'));
          a.packetsDiscarded += n('packetsDiscarded');
          a.jitterMs = Math.max(a.jitterMs, n('jitter') * 1000);
        } else if (s.type === 'inbound-rtp' && s.kind === 'video') {
          const v = out.video ??= { framesDecoded: 0, framesDropped: 0, freezeCount: 0 };
          v.framesDecoded += n('framesDecoded');
          v.framesDropped += n('framesDropped');
          v.freezeCount += n('freezeCount');
        } else if (s.type === 'candidate-pair' && (selected.size ? selected.has(s.id) : s.nominated) && typeof s.currentRoundTripTime === 'number') {
          out.rttMs = Math.max(out.rttMs ?? 0, s.currentRoundTripTime * 1000);
        }
      });
    }
    return out;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#send?.close();
    this.#recv?.close();
    this.remote.getTracks().forEach((t) => t.stop());
    this.#aside.forEach((t) => t.stop());
    this.#aside.clear();
  }
}
