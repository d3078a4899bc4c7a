// A door station's REGISTER at Portier's station registrar from a bare UDP peer,
// answering the 401's digest challenge with the station's secret (RFC 2617 MD5,
// qop=auth) — what a real station does with the secret the admin page showed.
import { createHash, randomBytes } from 'node:crypto';
import type { UdpPeer } from '../sip-bridge/udp-peer.ts';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** Sends REGISTERs as one station from one peer (its CSeq counts up); each call answers the final response's text. */
export function stationRegisterer(peer: UdpPeer, port: number) {
  let cseq = 0;
  return async (user: string, opts: { secret?: string; expires?: number; callId?: string } = {}): Promise<string> => {
    const callId = opts.callId ?? randomBytes(8).toString('hex');
    const uri = `sip:127.0.0.1:${port}`;
    const request = (auth: string[]) => [
      `REGISTER ${uri} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK${randomBytes(6).toString('hex')};rport`,
      `From: <sip:${user}@127.0.0.1>;tag=f${cseq}`, `To: <sip:${user}@127.0.0.1>`, `Call-ID: ${callId}`, `CSeq: ${++cseq} REGISTER`,
      `Contact: <sip:${user}@127.0.0.1:${peer.port}>`, `Expires: ${opts.expires ?? 120}`, 'Max-Forwards: 70', ...auth, 'Content-Length: 0', '', '',
    ].join('\r\n');
    const exchange = async (text: string) => { const before = peer.received.length; await peer.send(text, port); await peer.waitFor(before + 1); return peer.received[before]!.text; };
    const first = await exchange(request([]));
    if (opts.secret === undefined || !first.startsWith('SIP/2.0 401')) return first;
    const nonce = /nonce="([^"]+)"/.exec(first)![1]!;
    const ha1 = md5(`${user}:portier:${opts.secret}`);
    const ha2 = md5(`REGISTER:${uri}`);
    const response = md5(`${ha1}:${nonce}:00000001:c0ffee:auth:${ha2}`);
    return exchange(request([`Authorization: Digest username="${user}", realm="portier", nonce="${nonce}", uri="${uri}", response="${response}", qop=auth, nc=00000001, cnonce="c0ffee", algorithm=MD5`]));
  };
}
