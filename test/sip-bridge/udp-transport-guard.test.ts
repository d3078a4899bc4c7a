// The UDP transport in front of the inbound guard, against a real UDP socket
// peer on a manual clock (no refill): the source's token is taken before its
// datagram is read, so malformed requests and ACKs are bounded by the same
// bucket, and a source over its limit gets one 503 and then nothing at all
// (review s19 #8, #9).
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import pino from 'pino';
import { UdpTransport, InboundGuard } from '../../src/sip-bridge/index.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { UdpPeer } from './udp-peer.ts';

const BURST = 5;
let clock: ManualClock;
let peer: UdpPeer;
let guard: InboundGuard;
let transport: UdpTransport;
let delivered: string[];

beforeEach(async () => {
  clock = new ManualClock();
  peer = await UdpPeer.start();
  guard = new InboundGuard({
    accountId: 'pbx', accountUser: 'lobby', clock, logger: pino({ level: 'silent' }),
    limits: { ratePerMinute: 60, burst: BURST, maxSources: 10, nonceTtlMs: 30_000, maxCalls: 4, busyRetrySeconds: 30, refusalLogMs: 60_000 },
  });
  transport = new UdpTransport(undefined, { clock, bindHost: '127.0.0.1', bindPort: 0, advertisedHost: '127.0.0.1', guard });
  delivered = [];
  transport.onMessage = (text) => { delivered.push(text); };
  await transport.connect();
});

afterEach(async () => {
  await transport.disconnect();
  await peer.close();
});

async function untilReceived(count: number): Promise<void> {
  while (transport.received < count) await new Promise((resolve) => setImmediate(resolve));
}

const request = (method: string, i: number, extra: string[]) => [
  `${method} sip:lobby@127.0.0.1 SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-${method}-${i};rport`,
  'From: <sip:scan@x>;tag=s1', ...extra, `CSeq: 1 ${method}`, 'Content-Length: 0', '', ''].join('\r\n');

describe('UDP transport: the rate limit comes before parsing', () => {
  it('200 malformed requests from one source get at most burst replies and one 503', async () => {
    // No Call-ID: each is answered 400 while the source has tokens.
    for (let i = 0; i < 200; i++) await peer.send(request('OPTIONS', i, ['To: <sip:lobby@x>']), transport.port);
    await untilReceived(200);
    expect(transport.sent).toBe(BURST + 1);
    await peer.waitFor(BURST + 1);
    expect(peer.received.map((d) => d.text.split('\r\n')[0])).toEqual([
      ...Array.from({ length: BURST }, () => 'SIP/2.0 400 Bad Request'), 'SIP/2.0 503 Service Unavailable']);
    expect(guard.counters.limited).toBe(200 - BURST);
    expect(delivered).toHaveLength(0);
  });

  it('a flood of ACKs with random To tags reaches sip.js only burst times', async () => {
    for (let i = 0; i < 100; i++) await peer.send(request('ACK', i, [`To: <sip:lobby@x>;tag=r${i}`, `Call-ID: ack-${i}`]), transport.port);
    await untilReceived(100);
    expect(delivered).toHaveLength(BURST);
    expect(transport.sent).toBe(0);
    expect(guard.counters.limited).toBe(100 - BURST);
  });

  it('an exception of sip.js on a received message is logged once per kind at warn, with Call-ID and method (review s19 #21)', async () => {
    const warnings: Array<Record<string, unknown>> = [];
    await transport.disconnect();
    transport = new UdpTransport(undefined, {
      clock, bindHost: '127.0.0.1', bindPort: 0, advertisedHost: '127.0.0.1', guard,
      logger: { warn: ((obj: Record<string, unknown>) => { warnings.push(obj); }) as never },
    });
    transport.onMessage = () => { throw new TypeError('boom'); };
    await transport.connect();
    for (let i = 0; i < 3; i++) await peer.send(request('BYE', i, [`To: <sip:lobby@x>;tag=d${i}`, 'Call-ID: bye-1']), transport.port);
    await untilReceived(3);
    expect(transport.dropped).toBe(3);
    expect(warnings).toEqual([{ callId: 'bye-1', method: 'BYE', status: undefined, error: 'TypeError: boom' }]);
  });
});
