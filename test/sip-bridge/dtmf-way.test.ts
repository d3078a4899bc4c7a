// Review s19 #14: the way a SIP leg takes its keys (INFO or RFC 4733) is fixed by
// the first key that passed its check — a spoofed telephone-event from another
// source than the latched audio (rtp-relay.ts) never reaches it, so the host's
// INFO keys still count — and it is logged once at info: the way chosen, and the
// first ignored key of the other way (never the key itself).
import { afterEach, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { Writable } from 'node:stream';
import pino from 'pino';
import { DtmfWay, RtpRelay } from '../../src/sip-bridge/index.ts';

/** A logger whose lines (parsed) land in `lines`. */
function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const packet = (pt: number, seq: number, ssrc: number, payload: Buffer): Buffer => {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = pt;
  header.writeUInt16BE(seq, 2);
  header.writeUInt32BE(seq * 160, 4);
  header.writeUInt32BE(ssrc, 8);
  return Buffer.concat([header, payload]);
};

describe('the DTMF way of a SIP leg', () => {
  const sockets: Socket[] = [];
  const relays: RtpRelay[] = [];
  afterEach(() => {
    relays.splice(0).forEach((r) => r.close());
    sockets.splice(0).forEach((s) => s.close());
  });

  it('is fixed by the first key, logged once; keys of the other way are ignored, the first one logged once', () => {
    const { logger, lines } = capturingLogger();
    const way = new DtmfWay(logger, 'call-1');
    expect(way.via).toBeUndefined();
    expect([way.admits('info'), way.admits('rfc4733'), way.admits('info'), way.admits('rfc4733')]).toEqual([true, false, true, false]);
    expect(way.via).toBe('info');
    expect(way.ignored).toBe(2);
    expect(lines.map((l) => [l.level, l.msg, l.callId, l.via])).toEqual([
      [30, 'sip: the phone\'s keys are taken via info / Tasten des Telefons über info', 'call-1', 'info'],
      [30, 'sip: a key via rfc4733 is ignored, keys are taken via info / eine Taste über rfc4733 wird ignoriert, Tasten kommen über info', 'call-1', 'rfc4733'],
    ]);
  });

  it('is not fixed by a spoofed telephone-event: the host\'s INFO keys still count', async () => {
    const { logger, lines } = capturingLogger();
    const way = new DtmfWay(logger, 'call-2');
    const relay = await RtpRelay.open('127.0.0.1');
    relays.push(relay);
    const sock = async () => {
      const s = createSocket('udp4');
      await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
      sockets.push(s);
      return s;
    };
    const [farEnd, spoofer, sfu] = [await sock(), await sock(), await sock()];
    // The relay passed the last audio packet (seq 3) on: everything sent before it was handled (one loopback queue, sent in order).
    const passed = new Promise<void>((resolve) => sfu.on('message', (m) => { if (m.readUInt16BE(2) === 3) resolve(); }));
    relay.connectSfu({ ip: '127.0.0.1', port: sfu.address().port });
    relay.connectRemote({ address: '127.0.0.1', rtpPort: farEnd.address().port, rtcpPort: farEnd.address().port + 1, payloadType: 8, telephoneEvents: [101] }, 8);
    // Wired as SipLeg wires it.
    const keys: string[] = [];
    const digit = (d: string, via: 'info' | 'rfc4733') => { if (way.admits(via)) keys.push(d); };
    relay.ondigit = (d) => digit(d, 'rfc4733');
    relay.latchFarEnd();
    const send = (from: Socket, p: Buffer) => new Promise<void>((resolve) => from.send(p, relay.rtpPort, '127.0.0.1', () => resolve()));
    // The far end's audio latches; a spoofed '*' End packet from another port follows; then audio.
    await send(farEnd, packet(8, 1, 0x77, Buffer.alloc(160, 0xd5)));
    await send(spoofer, packet(101, 2, 0x77, Buffer.from([10, 0x80 | 10, 0x03, 0x20])));
    await send(farEnd, packet(8, 3, 0x77, Buffer.alloc(160, 0xd5)));
    await passed;
    expect(relay.counters.eventsRefused).toBe(1);
    // The host presses *1 as INFO.
    digit('*', 'info');
    digit('1', 'info');
    expect(keys).toEqual(['*', '1']);
    expect(way.via).toBe('info');
    expect(lines.map((l) => l.via)).toEqual(['info']);
  });
});
