// Browser side of a call's media with mediasoup-client: one send transport
// (camera and microphone; video in three simulcast layers so a weak receiver
// gets a lower one) and one receive transport for the other party's tracks.
import { Device, type types } from 'mediasoup-client';
import type { Socket } from 'socket.io-client';

type AckOk<T> = { ok: true } & T;

async function request<T>(socket: Socket, event: string, payload: unknown): Promise<AckOk<T>> {
  const res = await socket.timeout(10_000).emitWithAck(event, payload);
  if (!res.ok) throw new Error(`${event}: ${res.error}: ${res.message}`);
  return res;
}

export class CallMediaClient {
  readonly remote = new MediaStream();
  readonly #socket: Socket;
  readonly #callId: string;
  readonly #device = new Device();
  #send?: types.Transport;
  #recv?: types.Transport;
  #consumed = new Set<string>();
  #pending: string[] = [];
  #ready = false;
  #producers = new Map<string, types.Producer>();
  #closed = false;

  constructor(socket: Socket, callId: string) {
    this.#socket = socket;
    this.#callId = callId;
  }

  async #transport(direction: 'send' | 'recv'): Promise<types.Transport> {
    const { transport } = await request<{ transport: any }>(this.#socket, 'media.transport', { callId: this.#callId });
    const t = direction === 'send' ? this.#device.createSendTransport(transport) : this.#device.createRecvTransport(transport);
    t.on('connect', ({ dtlsParameters }, ok, fail) => {
      request(this.#socket, 'media.connect', { callId: this.#callId, transportId: t.id, dtlsParameters }).then(() => ok(), fail);
    });
    if (direction === 'send') {
      t.on('produce', ({ kind, rtpParameters }, ok, fail) => {
        request<{ producerId: string }>(this.#socket, 'media.produce', { callId: this.#callId, transportId: t.id, kind, rtpParameters })
          .then((r) => ok({ id: r.producerId }), fail);
      });
    }
    return t;
  }

  /** Loads the router's capabilities, sends the local tracks and consumes what the other side already sends. */
  async start(local: MediaStream, audioCodec = 'audio/opus'): Promise<void> {
    const caps = await request<{ rtpCapabilities: any; producers: Array<{ producerId: string }> }>(this.#socket, 'media.capabilities', { callId: this.#callId });
    if (!this.#device.loaded) await this.#device.load({ routerRtpCapabilities: caps.rtpCapabilities });
    this.#send = await this.#transport('send');
    this.#recv = await this.#transport('recv');
    for (const track of local.getTracks()) {
      const codec = track.kind === 'audio' ? this.#device.rtpCapabilities.codecs?.find((c) => c.mimeType.toLowerCase() === audioCodec.toLowerCase()) : undefined;
      const producer = await this.#send.produce({
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
      this.#producers.set(track.kind, producer);
    }
    this.#ready = true;
    for (const id of [...caps.producers.map((p) => p.producerId), ...this.#pending]) await this.consume(id);
    this.#pending.length = 0;
  }

  /** Consumes a producer of the other side; one announced before start() finished is consumed right after. */
  async consume(producerId: string): Promise<void> {
    if (!this.#ready) { this.#pending.push(producerId); return; }
    if (this.#closed || !this.#recv || this.#consumed.has(producerId)) return;
    this.#consumed.add(producerId);
    const { consumer: params } = await request<{ consumer: any }>(this.#socket, 'media.consume', {
      callId: this.#callId, transportId: this.#recv.id, producerId, rtpCapabilities: this.#device.recvRtpCapabilities,
    });
    const consumer = await this.#recv.consume(params);
    this.remote.addTrack(consumer.track);
    await request(this.#socket, 'media.resume', { callId: this.#callId, consumerId: consumer.id });
  }

  /** Mutes the microphone or turns the camera off (the producer pauses at the gateway too). */
  async setPaused(kind: 'audio' | 'video', paused: boolean): Promise<void> {
    const producer = this.#producers.get(kind);
    if (!producer) return;
    if (paused) producer.pause(); else producer.resume();
    await request(this.#socket, 'media.pause', { callId: this.#callId, producerId: producer.id, paused });
  }

  /** What this browser decoded and received from the other side (for diagnostics and tests). */
  async inboundStats(): Promise<{ framesDecoded: number; audioPacketsReceived: number }> {
    let framesDecoded = 0;
    let audioPacketsReceived = 0;
    if (this.#closed) return { framesDecoded, audioPacketsReceived };
    const report = await this.#recv?.getStats();
    report?.forEach((s: any) => {
      if (s.type !== 'inbound-rtp') return;
      if (s.kind === 'video') framesDecoded += s.framesDecoded ?? 0;
      if (s.kind === 'audio') audioPacketsReceived += s.packetsReceived ?? 0;
    });
    return { framesDecoded, audioPacketsReceived };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#send?.close();
    this.#recv?.close();
    this.remote.getTracks().forEach((t) => t.stop());
  }
}
