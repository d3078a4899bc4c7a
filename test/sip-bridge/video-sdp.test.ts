// A door station's H.264 offer (issue 13, slice 3): which format the call router
// forwards, what a High-profile or non-H.264 station gets told, and the producer
// parameters a real mediasoup router accepts — checked against the offer a real
// user agent makes (baresip with fakevideo and avcodec's H.264).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Socket } from 'node:net';
import type { types as ms } from 'mediasoup';
import { readVideoOffer, h264ProducerParameters, type H264Entry } from '../../src/sip-bridge/video-sdp.ts';
import { H264_PROFILES, ROUTER_CODECS, type WorkerPool } from '../../src/sfu/index.ts';
import { startPool } from '../support/pool.ts';
import { Baresip } from '../support/baresip.ts';

const ENTRIES: H264Entry[] = H264_PROFILES.flatMap((profile) => [1, 0].map((mode) => ({ profile, mode: mode as 0 | 1 })));

const offer = (video: string[], session = 'c=IN IP4 127.0.0.1') => [
  'v=0', 'o=door 1 1 IN IP4 127.0.0.1', 's=-', session, 't=0 0',
  'm=audio 30000 RTP/AVP 8 101', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000',
  ...video, '',
].join('\r\n');

describe('a door station\'s video offer', () => {
  let pool: WorkerPool;
  let router: ms.Router;
  let station: Baresip;

  beforeAll(async () => {
    pool = await startPool(1);
    router = (await pool.createRouter({ mediaCodecs: ROUTER_CODECS })).router;
    station = await Baresip.start({ aor: 'sip:door@127.0.0.1', accountParams: { regint: 0 }, video: true });
  });
  afterAll(async () => {
    await station?.close();
    router?.close();
    await pool?.close();
  });

  it('takes the first H.264 format the router forwards, in the station\'s order, with its own payload type and level', () => {
    const verdict = readVideoOffer(offer([
      'm=video 30002 RTP/AVP 96 97 98', 'c=IN IP4 127.0.0.2',
      'a=rtpmap:96 H264/90000', 'a=fmtp:96 profile-level-id=640028;packetization-mode=1',
      'a=rtpmap:97 H264/90000', 'a=fmtp:97 profile-level-id=4D0028;packetization-mode=1',
      'a=rtpmap:98 H264/90000', 'a=fmtp:98 profile-level-id=42e01f;packetization-mode=1',
      'a=rtcp:30005',
    ]), ENTRIES);
    expect(verdict).toEqual({
      kind: 'video',
      offer: { address: '127.0.0.2', rtpPort: 30002, rtcpPort: 30005, rtcpMux: false, format: { profile: '4d001f', mode: 1, payloadType: 97, profileLevelId: '4d0028' } },
    });
  });

  it('tells Constrained Baseline from Baseline, reads a missing mode as 0 and a missing profile as 42000a, rtcp-mux and session c=', () => {
    const baseline = readVideoOffer(offer(['m=video 30002 RTP/AVP 99', 'a=rtpmap:99 H264/90000', 'a=fmtp:99 profile-level-id=42001e', 'a=rtcp-mux']), ENTRIES);
    expect(baseline).toMatchObject({ kind: 'video', offer: { address: '127.0.0.1', rtcpPort: 30002, rtcpMux: true, format: { profile: '42001f', mode: 0 } } });
    const constrained = readVideoOffer(offer(['m=video 30002 RTP/AVP 99', 'a=rtpmap:99 H264/90000', 'a=fmtp:99 profile-level-id=42C01E;packetization-mode=1']), ENTRIES);
    expect(constrained).toMatchObject({ kind: 'video', offer: { rtcpPort: 30003, format: { profile: '42e01f', mode: 1, profileLevelId: '42c01e' } } });
    const bare = readVideoOffer(offer(['m=video 30002 RTP/AVP 99', 'a=rtpmap:99 H264/90000']), ENTRIES);
    expect(bare).toMatchObject({ kind: 'video', offer: { format: { profile: '42001f', mode: 0, profileLevelId: '42000a' } } });
  });

  it('a High-profile-only station is named as such; VP8 or H.265 only is no-h264; no video or port 0 is none', () => {
    expect(readVideoOffer(offer(['m=video 30002 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'a=fmtp:96 profile-level-id=640c1f;packetization-mode=1']), ENTRIES))
      .toEqual({ kind: 'unsupported', reason: 'high-profile', offered: ['H264 640c1f mode 1'] });
    expect(readVideoOffer(offer(['m=video 30002 RTP/AVP 96 97', 'a=rtpmap:96 H265/90000', 'a=rtpmap:97 VP8/90000']), ENTRIES))
      .toEqual({ kind: 'unsupported', reason: 'no-h264', offered: ['H265/90000', 'VP8/90000'] });
    expect(readVideoOffer(offer([]), ENTRIES)).toEqual({ kind: 'none' });
    expect(readVideoOffer(offer(['m=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000']), ENTRIES)).toEqual({ kind: 'none' });
  });

  it('the router takes a plain-RTP producer with the parameters of each entry (and of a station level other than the entry\'s)', async () => {
    const transport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: false, comedia: true });
    try {
      let ssrc = 1000;
      for (const entry of ENTRIES) {
        const producer = await transport.produce({ kind: 'video', rtpParameters: h264ProducerParameters({ ...entry, payloadType: 96 + entry.mode, profileLevelId: `${entry.profile.slice(0, 4)}28` }, ++ssrc) });
        expect(producer.rtpParameters.codecs[0]!.parameters).toMatchObject({ 'packetization-mode': entry.mode });
      }
      expect((await transport.dump()).producerIds).toHaveLength(ENTRIES.length);
    } finally {
      transport.close();
    }
  });

  it('the offer of a real UA (baresip, fakevideo through avcodec\'s H.264) maps to a router entry the router produces', async () => {
    // The PBX takes the INVITE over TCP and answers its CANCEL (100, then 200 and 487): over UDP, or with no answer,
    // baresip's transactions would wait out SIP's 32 s timers before it can exit.
    const pbx = sipOverTcp();
    await new Promise<void>((resolve) => pbx.server.listen(0, '127.0.0.1', resolve));
    const port = (pbx.server.address() as { port: number }).port;
    let invited = false;
    try {
      const invite = pbx.next('INVITE');
      expect((await station.command('dial', `sip:hotline@127.0.0.1:${port};transport=tcp`)).ok).toBe(true);
      const message = await invite;
      invited = true;
      expect(message.startsWith('INVITE ')).toBe(true);
      const sdp = message.slice(message.indexOf('\r\n\r\n') + 4);
      const verdict = readVideoOffer(sdp, ENTRIES);
      expect(verdict.kind, sdp).toBe('video');
      if (verdict.kind !== 'video') return;
      expect(verdict.offer.address).toBe('127.0.0.1');
      // baresip 1.0 offers 42e01f in mode 0 first (then mode 1): without the mode-0 entries its video would not pass.
      expect(verdict.offer.format).toEqual({ profile: '42e01f', mode: 0, payloadType: 96, profileLevelId: '42e01f' });
      const transport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: false, comedia: true });
      try {
        const producer = await transport.produce({ kind: 'video', rtpParameters: h264ProducerParameters(verdict.offer.format, 4242) });
        expect(producer.kind).toBe('video');
      } finally {
        transport.close();
      }
    } finally {
      const cancel = pbx.next('CANCEL');
      await station.command('hangup');
      if (invited) await cancel;
      await pbx.close();
    }
  });
});

/**
 * A PBX over TCP that answers just enough: 100 Trying to an INVITE, 200 to a CANCEL and
 * 487 to the INVITE it cancels; `next(method)` resolves with the next request of that method.
 */
function sipOverTcp() {
  const waiting = new Map<string, (message: string) => void>();
  const sockets = new Set<Socket>();
  let invite = '';
  const reply = (request: string, status: string) => {
    const headers = request.slice(0, request.indexOf('\r\n\r\n')).split('\r\n').slice(1)
      .filter((h) => /^(via|v|from|f|to|t|call-id|i|cseq):/i.test(h))
      .map((h) => (/^(to|t):/i.test(h) && !/;tag=/i.test(h) ? `${h};tag=pbx` : h));
    return `SIP/2.0 ${status}\r\n${headers.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`;
  };
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffer = '';
    socket.on('data', (data) => {
      buffer += data.toString('latin1');
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/^(?:content-length|l):\s*(\d+)/im.exec(buffer.slice(0, end))?.[1] ?? 0);
        if (buffer.length < end + 4 + length) return;
        const message = buffer.slice(0, end + 4 + length);
        buffer = buffer.slice(end + 4 + length);
        const method = message.slice(0, message.indexOf(' '));
        if (method === 'INVITE') { invite = message; socket.write(reply(message, '100 Trying')); }
        if (method === 'CANCEL') { socket.write(reply(message, '200 OK')); socket.write(reply(invite, '487 Request Terminated')); }
        waiting.get(method)?.(message);
        waiting.delete(method);
      }
    });
  });
  return {
    server,
    next: (method: string) => new Promise<string>((resolve) => { waiting.set(method, resolve); }),
    close: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}
