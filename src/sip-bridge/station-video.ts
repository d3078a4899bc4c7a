// A door station's H.264 video in its call (issue 13, slice 3): the station's
// video stream, as readVideoOffer found it, becomes a plain-RTP video producer of
// the station's participant — no transcoding: mediasoup forwards it to the desks
// in the router entry it matched. An RtpRelay of its own sits in front of the
// producer's PlainTransport (one SSRC, only the negotiated payload type), and
// keyframe requests of the desks (PLI/FIR, which mediasoup sends towards the
// producer) reach the station with the station's own SSRC (rtp-relay.ts). Our
// answer's video section takes the station's format and port, receive-only.
import type { CallMedia } from '../calls/index.ts';
import { RtpRelay, type RtpPortRange } from './rtp-relay.ts';
import { h264ProducerParameters, type VideoOffer } from './video-sdp.ts';

export class StationVideo {
  readonly offer: VideoOffer;
  readonly #relay: RtpRelay;
  #producerId?: string;
  #closed = false;

  private constructor(offer: VideoOffer, relay: RtpRelay) {
    this.offer = offer;
    this.#relay = relay;
  }

  static async open(offer: VideoOffer, bindAddress: string, ports?: RtpPortRange): Promise<StationVideo> {
    return new StationVideo(offer, await RtpRelay.open(bindAddress, ports));
  }

  get relay(): RtpRelay { return this.#relay; }
  get producerId(): string | undefined { return this.#producerId; }

  /** Our answer's video section: the station's H.264 format on the relay's ports, receive-only (nothing is sent to the station). */
  answerSection(): string[] {
    const { format } = this.offer;
    const pt = format.payloadType;
    return [
      `m=video ${this.#relay.rtpPort} RTP/AVP ${pt}`,
      `a=rtpmap:${pt} H264/90000`,
      `a=fmtp:${pt} profile-level-id=${format.profileLevelId};packetization-mode=${format.mode}`,
      `a=rtcp:${this.#relay.rtcpPort}`,
      `a=rtcp-fb:${pt} nack pli`,
      `a=rtcp-fb:${pt} ccm fir`,
      'a=recvonly',
    ];
  }

  /** The producer: a plain transport behind the relay, producing what the station sends as `participantId`'s video. */
  async join(media: CallMedia, participantId: string): Promise<void> {
    if (this.#closed || media.closed) return;
    const plain = await media.createPlainTransport(participantId, { ip: '127.0.0.1', comedia: false });
    await media.connectPlain(participantId, plain.id, this.#relay.innerAddress);
    if (this.#closed || media.closed) return;
    this.#relay.connectSfu({ ip: plain.ip, port: plain.port });
    const { offer } = this;
    const pt = offer.format.payloadType;
    this.#relay.connectRemote({ address: offer.address, rtpPort: offer.rtpPort, rtcpPort: offer.rtcpPort, payloadType: pt }, pt);
    this.#producerId = await media.produce(participantId, plain.id, 'video', h264ProducerParameters(offer.format, this.#relay.ssrc));
  }

  /** Closes the relay; the producer closes with the call's media. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#relay.close();
  }
}
