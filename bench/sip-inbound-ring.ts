// Inbound call → desk rings: a PBX played by Node UDP sockets calls a number of
// Portier's SIP account (its INVITE challenged with 401, sent again with the
// digest answer), the number's phone-book entry rings the reception's desk
// (socket.io). Measured: the authenticated INVITE leaving the PBX → call.ring at
// the desk, and → the 180 back at the PBX; then the PBX cancels (487) and calls
// again. Gateway in this process (the numbers name phone-book entries: seeded
// first, then the gateway restarts on the same data with the inbound config).
// Prints p50/p99 JSON.
// Usage: node scripts/run.mjs node bench/sip-inbound-ring.ts [--smoke]
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startGateway } from '../test/support/gateway.ts';
import { seedSite, connect, next } from '../test/support/signaling.ts';
import { Kamailio } from '../test/support/kamailio.ts';
import { parseWire, headerValue, type WireMessage } from '../src/sip-bridge/sip-wire.ts';
import { summary, smoke, print } from './lib.ts';

const CALLS = smoke ? 5 : 200;
const TRUNK = { user: 'pbx-in', password: 'trunk-secret-7' };
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

const pbx = createSocket('udp4');
await new Promise<void>((resolve) => pbx.bind(0, '127.0.0.1', resolve));
const waiters: Array<{ match: (m: WireMessage) => boolean; resolve: (m: WireMessage) => void }> = [];
pbx.on('message', (data) => {
  const msg = parseWire(data.toString());
  if (!msg) return;
  const i = waiters.findIndex((w) => w.match(msg));
  if (i >= 0) waiters.splice(i, 1)[0]!.resolve(msg);
});
const expect = (callId: string, status: number) => new Promise<WireMessage>((resolve) => waiters.push({ match: (m) => m.status === status && headerValue(m, 'call-id') === callId, resolve }));

const dataDir = mkdtempSync(join(tmpdir(), 'portier-bench-inbound-'));
const kamailio = await Kamailio.start({ domain: 'portier.test', users: [{ username: 'lobby', password: 'lobby-secret-1' }] });
const seeding = await startGateway({ PORTIER_DATA_DIR: dataDir });
const site = await seedSite(seeding);
await seeding.close();
const gw = await startGateway({
  PORTIER_DATA_DIR: dataDir, PORTIER_SIP__BIND_ADDRESS: '127.0.0.1',
  // One PBX placing hundreds of calls: above a scanner's rate limit.
  PORTIER_SIP__INBOUND__RATE_PER_MINUTE: '100000', PORTIER_SIP__INBOUND__BURST: '100000',
  PORTIER_SIP__ACCOUNTS: `[{id: pbx, registrar: "127.0.0.1:${kamailio.port}", username: lobby, password: lobby-secret-1, domain: portier.test, `
    + `inbound: {username: ${TRUNK.user}, password: ${TRUNK.password}, numbers: [{number: "4700", entry: "${site.entries['Empfang']}"}]}}]`,
});
const rita = await connect(gw, '/desk', site.users.rita!.cookie);
try {
  const port = gw.gateway.services.sip.account('pbx')!.transport!.port;
  const local = pbx.address().port;
  const sdp = ['v=0', 'o=pbx 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/AVP 8 0', 'a=rtpmap:8 PCMA/8000', 'a=sendrecv', ''].join('\r\n');
  const uri = `sip:4700@127.0.0.1:${port}`;
  const send = (text: string) => pbx.send(text, port, '127.0.0.1');
  const request = (method: string, callId: string, cseq: number, branch: string, extra: string[] = [], body = '') => [
    `${method} ${uri} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=${branch};rport`, `From: "Reception" <sip:7001@127.0.0.1:${local}>;tag=f${callId}`,
    `To: <${uri}>`, `Call-ID: ${callId}`, `CSeq: ${cseq} ${method}`, `Contact: <sip:7001@127.0.0.1:${local}>`, 'Max-Forwards: 70', ...extra,
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
    const ha1 = md5(`${TRUNK.user}:portier:${TRUNK.password}`);
    const response = md5(`${ha1}:${nonce}:00000001:beef:auth:${md5(`INVITE:${uri}`)}`);
    const auth = `Authorization: Digest username="${TRUNK.user}", realm="portier", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5, qop=auth, nc=00000001, cnonce="beef"`;
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
    bench: 'sip-inbound-ring', calls: CALLS,
    note: 'loopback, gateway in this process; authenticated INVITE (after its 401) leaving the PBX → call.ring at the desk (socket.io) and → 180 Ringing at the PBX; each call cancelled before the next',
    invite_to_desk_ring_ms: summary(toRing), invite_to_180_ms: summary(to180),
  });
} finally {
  rita.close();
  await gw.close();
  await kamailio.close();
  pbx.close();
  rmSync(dataDir, { recursive: true, force: true });
}
