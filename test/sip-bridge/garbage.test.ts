// fast-check generated garbage fed to the UDP transport under a sip.js user agent
// (and to its inbound check alone): random bytes, mutated valid requests and
// oversized headers and bodies. Nothing throws, the transport still answers the
// next request, a broken request is answered 400 (513 past sip.max_message_bytes),
// and no transaction is left. Runs are bounded; a failure prints its seed
// (FC_SEED=<seed> repeats it).
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { UserAgent, Core } from 'sip.js';
import type { UdpTransport } from '../../src/sip-bridge/index.ts';
import { inspectInbound } from '../../src/sip-bridge/wire-check.ts';
import type { ManualClock } from '../support/manual-clock.ts';
import { udpPeerFor, type Datagram, type UdpPeer } from './udp-peer.ts';

const T1 = 500;
const MAX_BYTES = 4096;
const SEED = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const runs = (numRuns: number) => ({ numRuns, seed: SEED });

let clock: ManualClock;
let peer: UdpPeer;
let ua: UserAgent;
let transport: UdpTransport;
let sequence = 0;

udpPeerFor('all', { timers: { t1Ms: T1, t2Ms: 4000 }, forceRport: true, maxMessageBytes: MAX_BYTES }, (udp) => ({ clock, peer, ua, transport } = udp));

/** A well-formed request for our own user (sip.js answers an OPTIONS 200 and a MESSAGE 200/405). */
function request(method: 'OPTIONS' | 'INVITE', extra: string[] = [], body = ''): string {
  sequence++;
  return [
    `${method} sip:lobby@127.0.0.1:${transport.port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKg${sequence};rport`,
    'Max-Forwards: 70', `From: <sip:fuzz@portier.test>;tag=f${sequence}`, 'To: <sip:lobby@portier.test>',
    `Call-ID: garbage-${sequence}`, `CSeq: 1 ${method}`, ...extra, `Content-Length: ${Buffer.byteLength(body)}`, '', body,
  ].join('\r\n');
}

/** Sends the bytes, then an OPTIONS; resolves with what came back before the OPTIONS' answer. */
async function answersTo(bytes: Buffer | string): Promise<Datagram[]> {
  const before = peer.received.length;
  await peer.send(bytes, transport.port);
  const marker = request('OPTIONS');
  const branch = `branch=z9hG4bKg${sequence};`;
  await peer.send(marker, transport.port);
  for (let n = before + 1; ; n++) {
    await peer.waitFor(n);
    const text = peer.received[n - 1]!.text;
    if (text.includes(branch)) {
      expect(text.startsWith('SIP/2.0 200 '), 'the transport still answers').toBe(true);
      return peer.received.slice(before, n - 1);
    }
  }
}

function transactions(): number {
  const core = ua.userAgentCore;
  return core.userAgentServers.size + core.userAgentClients.size + transport.retransmissions.pending;
}

const status = (d: Datagram): number => Number(/^SIP\/2\.0 (\d{3}) /.exec(d.text)?.[1]);

/** Edits of a valid request: cut a range, insert junk, flip a byte, duplicate or drop a line. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), junk: fc.string({ unit: 'binary', maxLength: 30 }) }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('line' as const), at: fc.nat(), drop: fc.boolean() }),
);

type Edit = { kind: string; at: number; length?: number; junk?: string; byte?: number; drop?: boolean };

function mutate(text: string, edits: Edit[]): Buffer {
  let bytes = Buffer.from(text);
  for (const e of edits) {
    const at = e.at % Math.max(1, bytes.length);
    if (e.kind === 'cut') bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + e.length!)]);
    else if (e.kind === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(e.junk!, 'utf8'), bytes.subarray(at)]);
    else if (e.kind === 'flip') bytes[at] = e.byte!;
    else {
      const lines = bytes.toString('latin1').split('\r\n');
      const i = e.at % lines.length;
      if (e.drop) lines.splice(i, 1);
      else lines.splice(i, 0, lines[i]!);
      bytes = Buffer.from(lines.join('\r\n'), 'latin1');
    }
  }
  return bytes;
}

const parses = (text: string): boolean => Core.Parser.parseMessage(text, { warn() {}, error() {}, log() {}, debug() {} } as never) !== undefined;

describe('garbage into the inbound check (no socket)', () => {
  it('never throws; a rejected message is a request with a Via, answered 400, 416, 505 or 513', () => {
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 3000 }), fc.array(mutation, { minLength: 1, maxLength: 4 }).map((m) => mutate(request('INVITE', [], 'v=0\r\n'), m))), (data) => {
      const inbound = inspectInbound(Buffer.from(data), { maxBytes: MAX_BYTES, parses, datagram: true });
      if (inbound.kind === 'reject') {
        expect([400, 416, 505, 513]).toContain(inbound.status);
        expect(inbound.msg.method).not.toBe('ACK');
      }
      if (inbound.kind === 'message') expect(parses(inbound.msg.lines.join('\r\n'))).toBe(true);
    }), runs(3000));
  });
});

describe('garbage into the UDP transport under sip.js', () => {
  it('random bytes: no crash, the next request is answered, nothing but stateless answers', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 2000 }), async (data) => {
      const before = transactions();
      const answers = await answersTo(Buffer.from(data));
      for (const a of answers) expect(status(a)).toBeGreaterThanOrEqual(400);
      expect(transactions()).toBe(before);
    }), runs(150));
  });

  it('mutated valid requests: at most one answer each, never a transaction left behind', async () => {
    await fc.assert(fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (edits) => {
      const before = transactions();
      const answers = await answersTo(mutate(request('OPTIONS'), edits));
      expect(answers.length).toBeLessThanOrEqual(1);
      for (const a of answers) expect(Number.isInteger(status(a))).toBe(true);
      expect(transactions()).toBe(before);
    }), runs(150));
  });

  it('a request without a mandatory header or with a broken CSeq is answered 400 naming why', async () => {
    const header = fc.constantFrom('Call-ID', 'From', 'To', 'CSeq');
    await fc.assert(fc.asyncProperty(header, fc.boolean(), fc.stringMatching(/^[a-z]{1,8}$/), async (name, drop, junk) => {
      const lines = request('OPTIONS').split('\r\n');
      const i = lines.findIndex((l) => l.startsWith(`${name}:`));
      if (drop) lines.splice(i, 1);
      else if (name === 'CSeq') lines[i] = `CSeq: ${junk} OPTIONS`;
      else lines.splice(i, 0, lines[i]!);
      const answers = await answersTo(lines.join('\r\n'));
      expect(answers.map(status)).toEqual([400]);
      expect(answers[0]!.text).toMatch(/^Warning: 399 portier "(no .+ header|.+ appears twice|malformed CSeq)"/m);
    }), runs(40));
  });

  it(`oversized headers or bodies past sip.max_message_bytes (${MAX_BYTES}) are answered 513, just below it accepted`, async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 3000 }), fc.boolean(), async (over, inHeader) => {
      const padded = (pad: number) => (inHeader ? request('OPTIONS', [`X-Pad: ${'a'.repeat(pad)}`]) : request('OPTIONS', ['Content-Type: text/plain'], 'b'.repeat(pad)));
      /** A request of exactly `bytes` bytes (the Content-Length's and the branch's digits move with the padding). */
      const sized = (bytes: number): string => {
        let pad = 0;
        for (;;) {
          const text = padded(pad);
          const length = Buffer.byteLength(text);
          if (length === bytes) return text;
          pad += bytes - length;
        }
      };
      const tooLarge = sized(MAX_BYTES + over);
      expect((await answersTo(tooLarge)).map(status)).toEqual([513]);
      const fits = sized(MAX_BYTES);
      expect((await answersTo(fits)).map(status), 'exactly the limit is taken in').toEqual([200]);
    }), runs(20));
  });

  it('after all of it: no transaction open, the cached answers gone after 64·T1', async () => {
    await clock.advance(64 * T1);
    expect(transactions()).toBe(0);
    expect(transport.responses.size).toBe(0);
    expect(transport.rejected).toBeGreaterThan(0);
  });
});
