// A SIP caller played by a Node UDP socket, for the ring benches (sip-inbound-ring:
// a PBX calling a number; sip-station-ring: a door station pressing its button):
// each call's INVITE is challenged with 401 and sent again with the digest answer,
// the desk's call.ring and the 180 back are timed from the authenticated INVITE
// leaving the socket, then the caller cancels (487) and calls again.
import { createHash } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import type { Socket as DeskSocket } from 'socket.io-client';
import { next } from '../test/support/signaling.ts';
import { parseWire, headerValue, type WireMessage } from '../src/sip-bridge/sip-wire.ts';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

export interface RingTarget {
  /** Portier's SIP port the INVITEs go to, and the Request-URI's user. */
  port: number;
  user: string;
  /** The From header's display name and user. */
  from: { name: string; user: string };
  /** The digest credentials answering Portier's 401 (realm portier). */
  auth: { user: string; password: string };
  /** The desk that rings. */
  desk: DeskSocket;
}

export class SipCaller {
  readonly #socket: Socket;
  readonly #waiters: Array<{ match: (m: WireMessage) => boolean; resolve: (m: WireMessage) => void }> = [];

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', (data) => {
      const msg = parseWire(data.toString());
      if (!msg) return;
      const i = this.#waiters.findIndex((w) => w.match(msg));
      if (i >= 0) this.#waiters.splice(i, 1)[0]!.resolve(msg);
    });
  }

  static async open(): Promise<SipCaller> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new SipCaller(socket);
  }

  close(): void { this.#socket.close(); }

  #expect(callId: string, status: number): Promise<WireMessage> {
    return new Promise((resolve) => this.#waiters.push({ match: (m) => m.status === status && headerValue(m, 'call-id') === callId, resolve }));
  }

  /** `calls` calls (after 3 not counted: the JIT warms up): the authenticated INVITE → call.ring at the desk, and → 180. */
  async rings(target: RingTarget, calls: number): Promise<{ toRing: number[]; to180: number[] }> {
    const local = this.#socket.address().port;
    const uri = `sip:${target.user}@127.0.0.1:${target.port}`;
    const sdp = ['v=0', 'o=caller 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/AVP 8 0', 'a=rtpmap:8 PCMA/8000', 'a=sendrecv', ''].join('\r\n');
    const send = (text: string) => this.#socket.send(text, target.port, '127.0.0.1');
    const request = (method: string, callId: string, cseq: number, branch: string, extra: string[] = [], body = '') => [
      `${method} ${uri} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=${branch};rport`, `From: "${target.from.name}" <sip:${target.from.user}@127.0.0.1:${local}>;tag=f${callId}`,
      `To: <${uri}>`, `Call-ID: ${callId}`, `CSeq: ${cseq} ${method}`, `Contact: <sip:${target.from.user}@127.0.0.1:${local}>`, 'Max-Forwards: 70', ...extra,
      ...(body ? ['Content-Type: application/sdp'] : []), `Content-Length: ${Buffer.byteLength(body)}`, '', body,
    ].join('\r\n');
    const toRing: number[] = [];
    const to180: number[] = [];
    for (let i = 0; i < calls + 3; i++) {
      const callId = `bench-${i}-${Date.now()}`;
      const challenged = this.#expect(callId, 401);
      send(request('INVITE', callId, 1, `z9hG4bK-a${i}`, [], sdp));
      const challenge = headerValue(await challenged, 'www-authenticate')!;
      const nonce = /nonce="([^"]+)"/.exec(challenge)![1]!;
      const ha1 = md5(`${target.auth.user}:portier:${target.auth.password}`);
      const response = md5(`${ha1}:${nonce}:00000001:beef:auth:${md5(`INVITE:${uri}`)}`);
      const auth = `Authorization: Digest username="${target.auth.user}", realm="portier", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5, qop=auth, nc=00000001, cnonce="beef"`;
      const ringing = this.#expect(callId, 180);
      const ring = next(target.desk, 'call.ring');
      const t0 = performance.now();
      send(request('INVITE', callId, 2, `z9hG4bK-b${i}`, [auth], sdp));
      const ringAt = await ring.then(() => performance.now());
      const ringingAt = await ringing.then(() => performance.now());
      if (i >= 3) { toRing.push(ringAt - t0); to180.push(ringingAt - t0); }
      const terminated = this.#expect(callId, 487);
      const stopped = next(target.desk, 'call.stop-ring');
      send(request('CANCEL', callId, 2, `z9hG4bK-b${i}`));
      await terminated;
      await stopped;
      send(request('ACK', callId, 2, `z9hG4bK-b${i}`));
    }
    return { toRing, to180 };
  }
}
