// Door station button → desk rings: a door station played by a Node UDP socket
// (made in the admin API, so Portier is its registrar) sends the INVITE its button
// sends, challenged with 401 and sent again with the station's digest answer; the
// call rings the site's reception desk (socket.io). Measured: the authenticated
// INVITE leaving the station → call.ring at the desk, and → the 180 back at the
// station; then the station cancels (487) and presses again. Gateway in this
// process. Prints p50/p99 JSON.
// Usage: node scripts/run.mjs node bench/sip-station-ring.ts [--smoke]
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { startGateway } from '../test/support/gateway.ts';
import { seedSite, connect, next } from '../test/support/signaling.ts';
import { parseWire, headerValue, type WireMessage } from '../src/sip-bridge/sip-wire.ts';
import { summary, smoke, print } from './lib.ts';

const CALLS = smoke ? 5 : 200;
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

const station = createSocket('udp4');
await new Promise<void>((resolve) => station.bind(0, '127.0.0.1', resolve));
const waiters: Array<{ match: (m: WireMessage) => boolean; resolve: (m: WireMessage) => void }> = [];
station.on('message', (data) => {
  const msg = parseWire(data.toString());
  if (!msg) return;
  const i = waiters.findIndex((w) => w.match(msg));
  if (i >= 0) waiters.splice(i, 1)[0]!.resolve(msg);
});
const expect = (callId: string, status: number) => new Promise<WireMessage>((resolve) => waiters.push({ match: (m) => m.status === status && headerValue(m, 'call-id') === callId, resolve }));

const gw = await startGateway({
  PORTIER_SIP__BIND_ADDRESS: '127.0.0.1', PORTIER_SIP__STATIONS__ENABLED: 'true', PORTIER_SIP__STATIONS__PORT: '0',
  // One station pressed hundreds of times: above a scanner's rate limit.
  PORTIER_SIP__INBOUND__RATE_PER_MINUTE: '100000', PORTIER_SIP__INBOUND__BURST: '100000',
});
const site = await seedSite(gw);
const made = (await site.admin.post('/api/sites/hq/door-stations', { name: 'Haupteingang', sipUser: 'door-hq', doorId: site.doorId, relay: { way: 'mqtt' } })).body as { secret: string };
const STATION = { user: 'door-hq', password: made.secret };
const rita = await connect(gw, '/desk', site.users.rita!.cookie);
try {
  const port = gw.gateway.services.stationEndpoint!.port;
  const local = station.address().port;
  const sdp = ['v=0', 'o=station 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/AVP 8 0', 'a=rtpmap:8 PCMA/8000', 'a=sendrecv', ''].join('\r\n');
  const uri = `sip:door@127.0.0.1:${port}`;
  const send = (text: string) => station.send(text, port, '127.0.0.1');
  const request = (method: string, callId: string, cseq: number, branch: string, extra: string[] = [], body = '') => [
    `${method} ${uri} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=${branch};rport`, `From: "Main entrance" <sip:${STATION.user}@127.0.0.1:${local}>;tag=f${callId}`,
    `To: <${uri}>`, `Call-ID: ${callId}`, `CSeq: ${cseq} ${method}`, `Contact: <sip:${STATION.user}@127.0.0.1:${local}>`, 'Max-Forwards: 70', ...extra,
    ...(body ? ['Content-Type: application/sdp'] : []), `Content-Length: ${Buffer.byteLength(body)}`, '', body,
  ].join('\r\n');

  const toRing: number[] = [];
  const to180: number[] = [];
  for (let i = 0; i < CALLS + 3; i++) {
    const callId = `bench-${i}-${Date.now()}`;
    const challenged = expect(callId, 401);
    send(request('INVITE', callId, 1, `z9hG4bK-a${i}`, [], sdp));
    const challenge = headerValue(await challenged, 'www-authenticate')!;
    const nonce = /nonce="([^"]+)"/.exec(challenge)![1]!;
    const ha1 = md5(`${STATION.user}:portier:${STATION.password}`);
    const response = md5(`${ha1}:${nonce}:00000001:beef:auth:${md5(`INVITE:${uri}`)}`);
    const auth = `Authorization: Digest username="${STATION.user}", realm="portier", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5, qop=auth, nc=00000001, cnonce="beef"`;
    const ringing = expect(callId, 180);
    const ring = next(rita, 'call.ring');
    const t0 = performance.now();
    send(request('INVITE', callId, 2, `z9hG4bK-b${i}`, [auth], sdp));
    const ringAt = await ring.then(() => performance.now());
    const ringingAt = await ringing.then(() => performance.now());
    // The first calls warm the JIT: not counted.
    if (i >= 3) { toRing.push(ringAt - t0); to180.push(ringingAt - t0); }
    const terminated = expect(callId, 487);
    const stopped = next(rita, 'call.stop-ring');
    send(request('CANCEL', callId, 2, `z9hG4bK-b${i}`));
    await terminated;
    await stopped;
    send(request('ACK', callId, 2, `z9hG4bK-b${i}`));
  }
  print({
    bench: 'sip-station-ring', calls: CALLS,
    note: 'loopback, gateway in this process; a door station\'s (made in the admin API, Portier its registrar) authenticated INVITE (after its 401) leaving the station → call.ring at the reception desk (socket.io) and → 180 Ringing at the station; each call cancelled before the next',
    button_to_desk_ring_ms: summary(toRing), button_to_180_ms: summary(to180),
  });
} finally {
  rita.close();
  await gw.close();
  station.close();
}
