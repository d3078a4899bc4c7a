// RFC 4733 telephone-events as the SIP leg's RTP relay reads them: sipp's own
// captures (dtmf_2833_*.pcap, the packets a phone sends for one key: the first
// with the Marker bit, updates, three End packets) give each key once; the End
// bit counts, not the Marker bit; the header's CSRCs, extension and padding are
// stepped over; anything else is no key, never an exception.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import fc from 'fast-check';
import { readTelephoneEvent, TelephoneEventReceiver } from '../../src/sip-bridge/index.ts';
import { SIPP_PCAP_DIR } from '../support/sipp.ts';
import { rtpPacketsOf } from '../support/pcap.ts';

/** A telephone-event packet: `digit` is the event code, `marker` the RTP Marker bit. */
function eventPacket(o: { code: number; end: boolean; timestamp: number; seq?: number; marker?: boolean; ssrc?: number; csrcs?: number; extensionWords?: number; padding?: number }): Buffer {
  const csrcs = o.csrcs ?? 0;
  const ext = o.extensionWords === undefined ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0xbe, 0xde, 0, o.extensionWords]), Buffer.alloc(o.extensionWords * 4, 0x11)]);
  const header = Buffer.alloc(12 + csrcs * 4);
  header[0] = 0x80 | (ext.length ? 0x10 : 0) | (o.padding ? 0x20 : 0) | csrcs;
  header[1] = (o.marker ? 0x80 : 0) | 101;
  header.writeUInt16BE(o.seq ?? 1, 2);
  header.writeUInt32BE(o.timestamp, 4);
  header.writeUInt32BE(o.ssrc ?? 0xabc, 8);
  const payload = Buffer.from([o.code, (o.end ? 0x80 : 0) | 10, 0x03, 0x20]);
  const padding = o.padding ? Buffer.concat([Buffer.alloc(o.padding - 1), Buffer.from([o.padding])]) : Buffer.alloc(0);
  return Buffer.concat([header, ext, payload, padding]);
}

describe('RFC 4733 telephone-events', () => {
  it('sipp\'s captures of every key give that key once (three End packets, one digit)', () => {
    const captures: Record<string, string> = { star: '*', pound: '#', ...Object.fromEntries([...'0123456789'].map((d) => [d, d])) };
    for (const [name, digit] of Object.entries(captures)) {
      const packets = rtpPacketsOf(join(SIPP_PCAP_DIR, `dtmf_2833_${name}.pcap`));
      expect(packets.filter((p) => readTelephoneEvent(p)?.end).length).toBe(3);
      const receiver = new TelephoneEventReceiver();
      expect(packets.map((p) => receiver.receive(p)).filter(Boolean)).toEqual([digit]);
    }
  });

  it('takes a key at its End bit without any Marker bit, and the same key pressed again (a new timestamp) again', () => {
    const receiver = new TelephoneEventReceiver();
    const press = (code: number, timestamp: number) => [
      ...[1, 2].map(() => eventPacket({ code, end: false, timestamp })),
      ...[1, 2, 3].map(() => eventPacket({ code, end: true, timestamp })),
    ];
    const keys = [...press(10, 8000), ...press(1, 9600), ...press(1, 11200), ...press(11, 12800)].map((p) => receiver.receive(p)).filter(Boolean);
    expect(keys).toEqual(['*', '1', '1', '#']);
  });

  it('steps over CSRCs, a header extension and padding; reads codes 12-15 as A-D; refuses other codes and short packets', () => {
    expect(readTelephoneEvent(eventPacket({ code: 5, end: true, timestamp: 1, csrcs: 2, extensionWords: 3, padding: 4 }))).toEqual({ digit: '5', end: true, timestamp: 1, ssrc: 0xabc });
    expect(readTelephoneEvent(eventPacket({ code: 12, end: false, timestamp: 7 }))?.digit).toBe('A');
    expect(readTelephoneEvent(eventPacket({ code: 15, end: false, timestamp: 7 }))?.digit).toBe('D');
    expect(readTelephoneEvent(eventPacket({ code: 16, end: true, timestamp: 7 }))).toBeUndefined();
    expect(readTelephoneEvent(eventPacket({ code: 1, end: true, timestamp: 7 }).subarray(0, 14))).toBeUndefined();
    expect(readTelephoneEvent(eventPacket({ code: 1, end: true, timestamp: 7, extensionWords: 2 }).subarray(0, 20))).toBeUndefined();
  });

  it('never throws, whatever arrives on the telephone-event payload type', () => {
    const receiver = new TelephoneEventReceiver();
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
      const digit = receiver.receive(Buffer.from(bytes));
      expect(digit === undefined || /^[0-9*#A-D]$/.test(digit)).toBe(true);
    }));
  });
});
