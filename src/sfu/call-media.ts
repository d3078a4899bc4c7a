// The media of one call: a router on the least-loaded worker, and for each
// party (the terminal, the desk) its WebRtcServer-backed transports, producers
// and consumers. mediasoup never transcodes: the router offers opus, PCMU, PCMA,
// VP8 and H.264, and each party sends in a codec the call model chose.
import type { types as ms } from 'mediasoup';
import { TypedEmitter, InvalidError, NotFoundError } from '../core/index.ts';
import type { WorkerPool } from './worker-pool.ts';

export const ROUTER_CODECS: ms.RouterRtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'audio', mimeType: 'audio/PCMU', clockRate: 8000 },
  { kind: 'audio', mimeType: 'audio/PCMA', clockRate: 8000 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, parameters: { 'x-google-start-bitrate': 1000 } },
  {
    kind: 'video', mimeType: 'video/H264', clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
  },
];

export type Party = 'terminal' | 'desk';

const MAX_TRANSPORTS = 2;

interface PartyMedia {
  transports: Map<string, ms.WebRtcTransport | ms.PlainTransport>;
  producers: Map<string, ms.Producer>;
  consumers: Map<string, ms.Consumer>;
}

export type CallMediaEvents = {
  /** A party produced: the other party should consume it. */
  newproducer: [party: Party, producer: ms.Producer];
  /** The worker died or the router closed underneath the call. */
  failed: [Error];
  '@close': [];
};

export class CallMedia extends TypedEmitter<CallMediaEvents> {
  readonly router: ms.Router;
  readonly #server: ms.WebRtcServer;
  readonly #parties: Record<Party, PartyMedia> = { terminal: CallMedia.#empty(), desk: CallMedia.#empty() };
  #closed = false;

  static #empty(): PartyMedia {
    return { transports: new Map(), producers: new Map(), consumers: new Map() };
  }

  static async create(pool: WorkerPool): Promise<CallMedia> {
    const { router, webRtcServer } = await pool.createRouter({ mediaCodecs: ROUTER_CODECS });
    return new CallMedia(router, webRtcServer);
  }

  private constructor(router: ms.Router, server: ms.WebRtcServer) {
    super();
    this.router = router;
    this.#server = server;
    router.on('workerclose', () => {
      if (this.#closed) return;
      this.safeEmit('failed', new Error('media worker died'));
      this.close();
    });
  }

  get closed(): boolean { return this.#closed; }
  get rtpCapabilities(): ms.RouterRtpCapabilities { return this.router.rtpCapabilities; }

  async createTransport(party: Party): Promise<{ id: string; iceParameters: ms.IceParameters; iceCandidates: ms.IceCandidate[]; dtlsParameters: ms.DtlsParameters }> {
    this.#assertOpen();
    // A send and a receive transport are all a party needs; more would only load the worker.
    if (this.#parties[party].transports.size >= MAX_TRANSPORTS) throw new InvalidError(`at most ${MAX_TRANSPORTS} transports per party`);
    const t = await this.router.createWebRtcTransport({
      webRtcServer: this.#server, enableUdp: true, enableTcp: true, preferUdp: true, initialAvailableOutgoingBitrate: 1_000_000,
    });
    this.#parties[party].transports.set(t.id, t);
    t.observer.once('close', () => this.#parties[party].transports.delete(t.id));
    return { id: t.id, iceParameters: t.iceParameters, iceCandidates: t.iceCandidates, dtlsParameters: t.dtlsParameters };
  }

  /**
   * A plain RTP transport for a party that is not a browser (the SIP bridge's
   * telephone leg, load generators): SRTP optional, RTCP multiplexed.
   */
  async createPlainTransport(party: Party, options: { ip: string; comedia: boolean }): Promise<ms.PlainTransport> {
    this.#assertOpen();
    const t = await this.router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: options.ip }, rtcpMux: true, comedia: options.comedia });
    this.#parties[party].transports.set(t.id, t);
    t.observer.once('close', () => this.#parties[party].transports.delete(t.id));
    return t;
  }

  #transport(party: Party, id: string): ms.WebRtcTransport | ms.PlainTransport {
    const t = this.#parties[party].transports.get(id);
    if (!t) throw new NotFoundError(`transport ${id} not found`);
    return t;
  }

  async connect(party: Party, transportId: string, dtlsParameters: ms.DtlsParameters): Promise<void> {
    const t = this.#transport(party, transportId);
    if (t.type !== 'webrtc') throw new InvalidError('only WebRTC transports connect with DTLS parameters');
    await (t as ms.WebRtcTransport).connect({ dtlsParameters });
  }

  async produce(party: Party, transportId: string, kind: ms.MediaKind, rtpParameters: ms.RtpParameters): Promise<string> {
    if ([...this.#parties[party].producers.values()].some((p) => p.kind === kind)) throw new InvalidError(`this party already sends ${kind}`);
    const producer = await this.#transport(party, transportId).produce({ kind, rtpParameters });
    this.#parties[party].producers.set(producer.id, producer);
    producer.observer.once('close', () => this.#parties[party].producers.delete(producer.id));
    this.safeEmit('newproducer', party, producer);
    return producer.id;
  }

  /** Producers of the other party, which `party` may consume. */
  peerProducers(party: Party): Array<{ producerId: string; kind: ms.MediaKind }> {
    const other = party === 'terminal' ? 'desk' : 'terminal';
    return [...this.#parties[other].producers.values()].map((p) => ({ producerId: p.id, kind: p.kind }));
  }

  async consume(party: Party, transportId: string, producerId: string, rtpCapabilities: ms.RtpCapabilities) {
    const other = party === 'terminal' ? 'desk' : 'terminal';
    if (!this.#parties[other].producers.has(producerId)) throw new NotFoundError(`producer ${producerId} not found`);
    if (!this.router.canConsume({ producerId, rtpCapabilities })) throw new InvalidError('cannot consume this producer with these capabilities');
    const consumer = await this.#transport(party, transportId).consume({ producerId, rtpCapabilities, paused: true });
    this.#parties[party].consumers.set(consumer.id, consumer);
    consumer.observer.once('close', () => this.#parties[party].consumers.delete(consumer.id));
    return { id: consumer.id, producerId, kind: consumer.kind, rtpParameters: consumer.rtpParameters };
  }

  async resume(party: Party, consumerId: string): Promise<void> {
    const consumer = this.#parties[party].consumers.get(consumerId);
    if (!consumer) throw new NotFoundError(`consumer ${consumerId} not found`);
    await consumer.resume();
  }

  async pauseProducer(party: Party, producerId: string, paused: boolean): Promise<void> {
    const producer = this.#parties[party].producers.get(producerId);
    if (!producer) throw new NotFoundError(`producer ${producerId} not found`);
    await (paused ? producer.pause() : producer.resume());
  }

  /** Closes one party's transports (a reconnecting client starts them afresh). */
  resetParty(party: Party): void {
    for (const t of [...this.#parties[party].transports.values()]) t.close();
  }

  counts(): Record<Party, { transports: number; producers: number; consumers: number }> {
    const count = (p: PartyMedia) => ({ transports: p.transports.size, producers: p.producers.size, consumers: p.consumers.size });
    return { terminal: count(this.#parties.terminal), desk: count(this.#parties.desk) };
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidError('the call has no media any more');
  }

  /** Closes the router, and with it every transport, producer and consumer of the call. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.router.close();
    this.safeEmit('@close');
    this.removeAllListeners();
  }
}
