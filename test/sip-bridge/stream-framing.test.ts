// Content-Length framing of SIP over TCP/TLS (RFC 3261 §18.3), no socket: a
// message split at every byte or coalesced with others comes out whole and in
// order, CRLF keep-alives are pings, and a stream that cannot be framed fails
// with a named error (no Content-Length, a malformed one, past the size cap).
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { StreamFramer, type Frame } from '../../src/sip-bridge/index.ts';
import { SipFramingError } from '../../src/core/index.ts';

const SEED = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);

function message(n: number, body = '', lengthHeader = `Content-Length: ${Buffer.byteLength(body)}`): string {
  return [
    `OPTIONS sip:lobby@127.0.0.1 SIP/2.0`, `Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK${n}`, `From: <sip:a@b>;tag=${n}`,
    'To: <sip:lobby@b>', `Call-ID: frame-${n}`, `CSeq: ${n} OPTIONS`, lengthHeader, '', body,
  ].join('\r\n');
}

const texts = (frames: Frame[]): string[] => frames.map((f) => (f.kind === 'message' ? f.data.toString() : 'ping'));

function thrown(run: () => unknown): SipFramingError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SipFramingError);
    return error as SipFramingError;
  }
  throw new Error('did not throw');
}

describe('SIP stream framing', () => {
  it('a message fed byte by byte comes out once, whole, at its last byte', () => {
    const text = message(1, 'v=0\r\n');
    const framer = new StreamFramer(4096);
    const out: Frame[] = [];
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i++) {
      out.push(...framer.push(bytes.subarray(i, i + 1)));
      if (i < bytes.length - 1) expect(out).toHaveLength(0);
    }
    expect(texts(out)).toEqual([text]);
    expect(framer.pending).toBe(0);
  });

  it('64 KiB of line breaks between messages are keep-alives, not a crash; more than a message size of them fails by name (review s20 #1)', () => {
    // Before: one stack frame per skipped byte — about 8 KB of LFs overflowed the stack and the socket handler rethrew it.
    const framer = new StreamFramer(65536);
    const breaks = Buffer.concat([Buffer.alloc(30_000, 0x0a), Buffer.from('\r\n\n'.repeat(10_000))]); // no double CRLF: no ping
    expect(texts(framer.push(Buffer.concat([breaks, Buffer.from(message(1))])))).toEqual([message(1)]);
    expect(texts(framer.push(Buffer.concat([Buffer.alloc(60_000, 0x0a), Buffer.from(message(2))])))).toEqual([message(2)]);
    const flood = thrown(() => framer.push(Buffer.alloc(70_000, 0x0a)));
    expect(flood.why).toMatchObject({ reason: 'sip.frame-too-large' });
  });

  it('a large message dribbled in one-byte reads is framed in linear time (review s20 #3: each read copied and searched everything held)', () => {
    // 256 KiB: linear, well under a second; the old framer's quadratic copying and searching took minutes.
    const body = 'a=x\r\n'.repeat(256 * 1024 / 5);
    const text = message(3, body);
    const framer = new StreamFramer(1024 * 1024);
    const bytes = Buffer.from(text);
    const out: Frame[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(...framer.push(bytes.subarray(i, i + 1)));
    expect(out.map((f) => (f.kind === 'message' ? f.data.length : 0))).toEqual([bytes.length]);
    expect(framer.pending).toBe(0);
  });

  it('three messages and a ping in one read come out in order; a compact l: header counts', () => {
    const a = message(1, 'hello');
    const b = message(2, '', 'l: 0');
    const c = message(3, 'x'.repeat(300));
    const framer = new StreamFramer(4096);
    expect(texts(framer.push(Buffer.from(`\r\n\r\n${a}${b}\r\n${c}`)))).toEqual(['ping', a, b, c]);
  });

  it('any split of any sequence of messages gives the same messages (fast-check)', () => {
    const body = fc.string({ maxLength: 200 });
    fc.assert(fc.property(fc.array(body, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 20 }), (bodies, cuts) => {
      const all = bodies.map((b, i) => message(i, b));
      const stream = Buffer.from(all.join(''));
      const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((x, y) => x - y);
      const framer = new StreamFramer(8192);
      const out: Frame[] = [];
      let from = 0;
      for (const p of [...points, stream.length]) {
        out.push(...framer.push(stream.subarray(from, p)));
        from = p;
      }
      expect(texts(out)).toEqual(all);
    }), { numRuns: 300, seed: SEED });
  });

  it('a message without Content-Length fails with sip.frame-length, and so does every later read', () => {
    const framer = new StreamFramer(4096);
    const text = message(1).replace(/Content-Length: 0\r\n/, '');
    const error = thrown(() => framer.push(Buffer.from(text)));
    expect(error.why.reason).toBe('sip.frame-length');
    expect(framer.brokenHead?.toString()).toBe(text);
    expect(thrown(() => framer.push(Buffer.from(message(2)))).why.reason).toBe('sip.frame-length');
  });

  it('a malformed or contradictory Content-Length fails with sip.frame-length', () => {
    for (const header of ['Content-Length: -1', 'Content-Length: 12a', 'Content-Length: 1\r\nl: 2']) {
      expect(thrown(() => new StreamFramer(4096).push(Buffer.from(message(1, '', header)))).why.reason).toBe('sip.frame-length');
    }
  });

  it('a Content-Length past the cap fails at once (before the body arrives) with sip.frame-too-large', () => {
    const framer = new StreamFramer(1000);
    const head = message(1, '', 'Content-Length: 5000');
    const error = thrown(() => framer.push(Buffer.from(head)));
    expect(error.why.reason).toBe('sip.frame-too-large');
    expect(error.why.params.max).toBe(1000);
  });

  it('headers that never end fail once past the cap, not before', () => {
    const framer = new StreamFramer(1000);
    expect(framer.push(Buffer.from('OPTIONS sip:x SIP/2.0\r\nX: ' + 'a'.repeat(960)))).toEqual([]);
    expect(thrown(() => framer.push(Buffer.from('a'.repeat(100)))).why.reason).toBe('sip.frame-too-large');
  });

  it('exactly the cap is taken in', () => {
    const base = message(1, '');
    const body = 'b'.repeat(1000 - Buffer.byteLength(base) - 2); // Content-Length grows from 1 to 3 digits
    const text = message(1, body);
    expect(Buffer.byteLength(text)).toBe(1000);
    expect(texts(new StreamFramer(1000).push(Buffer.from(text)))).toEqual([text]);
  });
});
