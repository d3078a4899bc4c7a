// Where the UDP transport sends each message, and how it reads and rewrites Via.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parseWire, requestTarget, responseTarget, stampReceived, serialize, topVia, takeNextHop, nextHopHeader, headerValue } from '../../src/sip-bridge/sip-wire.ts';

const request = (uri: string, extra: string[] = []) => parseWire([
  `INVITE ${uri} SIP/2.0`, 'Via: SIP/2.0/UDP 10.0.0.5:5070;branch=z9hG4bK1;rport', ...extra,
  'From: <sip:a@x>;tag=1', 'To: <sip:b@y>', 'Call-ID: c', 'CSeq: 1 INVITE', 'Content-Length: 0', '', ''].join('\r\n'))!;

describe('sip-wire: routing', () => {
  it('Portier\'s next-hop header names where a REGISTER to the registrar domain goes, and is taken out before it leaves (review s26 #15)', () => {
    const msg = request('sip:pbx.test', [nextHopHeader({ host: '::1', port: 5061 }), 'X-Other: kept']);
    expect(takeNextHop(msg)).toEqual({ host: '::1', port: 5061 });
    const text = serialize(msg);
    expect(text).not.toMatch(/next-hop/i);
    expect(text.endsWith('Content-Length: 0\r\n\r\n')).toBe(true);
    expect(headerValue(parseWire(text)!, 'x-other')).toBe('kept');
    expect(takeNextHop(msg)).toBeUndefined();
  });

  it('sends a request to its Request-URI, port 5060 by default', () => {
    expect(requestTarget(request('sip:200@pbx.example.com'))).toEqual({ host: 'pbx.example.com', port: 5060 });
    expect(requestTarget(request('sip:200@192.0.2.7:5080;transport=udp'))).toEqual({ host: '192.0.2.7', port: 5080 });
    expect(requestTarget(request('sip:200@[2001:db8::1]:5062'))).toEqual({ host: '2001:db8::1', port: 5062 });
  });

  it('sends a request to its first Route (loose routing), or to the outbound proxy above all', () => {
    const routed = request('sip:200@192.0.2.7', ['Route: <sip:192.0.2.1:5070;lr>, <sip:192.0.2.2;lr>']);
    expect(requestTarget(routed)).toEqual({ host: '192.0.2.1', port: 5070 });
    expect(requestTarget(routed, { host: '192.0.2.9', port: 5099 })).toEqual({ host: '192.0.2.9', port: 5099 });
  });

  it('answers at the Via\'s received address and rport (RFC 3581), else its sent-by', () => {
    const msg = request('sip:lobby@192.0.2.7');
    expect(responseTarget(msg)).toEqual({ host: '10.0.0.5', port: 5070 });
    stampReceived(msg, { host: '198.51.100.4', port: 40000 });
    expect(topVia(msg)!.params.get('received')).toBe('198.51.100.4');
    expect(responseTarget(msg)).toEqual({ host: '198.51.100.4', port: 40000 });
    expect(serialize(msg)).toContain('Via: SIP/2.0/UDP 10.0.0.5:5070;branch=z9hG4bK1;rport=40000;received=198.51.100.4\r\n');
  });

  it('drops a received the sender forged: the answer goes to the real source, not to a victim (review s19 #15)', () => {
    const forged = (host: string) => parseWire([
      'OPTIONS sip:lobby@192.0.2.7 SIP/2.0', `Via: SIP/2.0/UDP ${host}:5070;branch=z9hG4bK2;received=203.0.113.99;rport`,
      'From: <sip:a@x>;tag=1', 'To: <sip:b@y>', 'Call-ID: c2', 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', ''].join('\r\n'))!;
    // The sender names its real address in Via (so no received of ours would be added) plus a victim's.
    const same = forged('198.51.100.4');
    stampReceived(same, { host: '198.51.100.4', port: 5070 });
    expect(topVia(same)!.params.has('received')).toBe(false);
    expect(responseTarget(same)).toEqual({ host: '198.51.100.4', port: 5070 });
    const other = forged('10.0.0.5');
    stampReceived(other, { host: '198.51.100.4', port: 40000 });
    expect(responseTarget(other)).toEqual({ host: '198.51.100.4', port: 40000 });
  });

  it('reads compact and multi-valued Via headers', () => {
    const msg = parseWire('SIP/2.0 200 OK\r\nv: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKa;rport=5062, SIP/2.0/UDP 10.1.1.1;branch=z9hG4bKb\r\n\r\n')!;
    expect(msg.status).toBe(200);
    expect(topVia(msg)).toMatchObject({ host: '127.0.0.1', port: 5062 });
    expect(responseTarget(msg)).toEqual({ host: '127.0.0.1', port: 5062 });
  });

  it('never throws on arbitrary input', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), fc.string({ maxLength: 80 }), (junk, via) => {
      for (const text of [junk, `OPTIONS sip:x SIP/2.0\r\nVia: ${via}\r\n\r\n`, `SIP/2.0 100 x\r\nVia: ${via}\r\nRoute: ${junk}\r\n\r\n`]) {
        const msg = parseWire(text);
        if (!msg) continue;
        responseTarget(msg);
        requestTarget(msg);
        stampReceived(msg, { host: '127.0.0.1', port: 1 });
      }
    }), { numRuns: 500 });
  });
});
