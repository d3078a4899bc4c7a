// DTMF door code → unlock, against a gateway running as its own process and a
// real Kamailio (registrar and proxy): a terminal calls a phone-book entry with
// a SIP route; the phone (a scripted UAS on Node UDP sockets) answers in PCMA
// with telephone-event 101, then presses the door code (*1) as RFC 4733 events
// in its RTP again and again. Measured: the first End packet of the code's last
// key leaving the phone → the unlock command arriving on the door's MQTT topic
// (a real mqtt.js door controller, which acknowledges; the next press waits for
// the terminal's door.state open). Prints p50/p99 JSON.
// Usage: node scripts/run.mjs node bench/sip-dtmf-door.ts [--smoke]
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import type { Socket } from 'socket.io-client';
import { spawnGateway } from '../test/support/gateway-process.ts';
import { seedSite, connect, ack, next } from '../test/support/signaling.ts';
import { Kamailio } from '../test/support/kamailio.ts';
import { parseWire, type WireMessage } from '../src/sip-bridge/sip-wire.ts';
import { summary, smoke, print } from './lib.ts';

const PRESSES = smoke ? 5 : 200;
const SSRC = 0x0d7f_0001;

/** The phone's signalling and RTP sockets. */
const sip = createSocket('udp4');
const rtp = createSocket('udp4');
await Promise.all([sip, rtp].map((s) => new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve))));
/** Where Portier's relay listens (from the INVITE's SDP). */
let portierRtp: { address: string; port: number } | undefined;

const headers = (msg: WireMessage, names: string[]) => msg.lines.slice(1, msg.headerEnd).filter((l) => names.includes(l.slice(0, l.indexOf(':')).trim().toLowerCase()));
function respond(to: WireMessage, status: string, rinfo: { address: string; port: number }, body = ''): void {
  const toLine = headers(to, ['to', 't'])[0]!;
  const lines = [
    `SIP/2.0 ${status}`, ...headers(to, ['via', 'v', 'record-route']), ...headers(to, ['from', 'f', 'call-id', 'i', 'cseq']),
    /;tag=/.test(toLine) ? toLine : `${toLine};tag=bench`, `Contact: <sip:bench@127.0.0.1:${sip.address().port}>`,
    ...(body ? ['Content-Type: application/sdp'] : []), `Content-Length: ${Buffer.byteLength(body)}`, '', body,
  ];
  sip.send(lines.join('\r\n'), rinfo.port, rinfo.address);
}
const answerSdp = () => [
  'v=0', 'o=bench 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${rtp.address().port} RTP/AVP 8 101`,
  'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15', 'a=ptime:20', 'a=sendrecv', '',
].join('\r\n');
sip.on('message', (data, rinfo) => {
  const msg = parseWire(data.toString());
  if (!msg?.method) return;
  if (msg.method === 'INVITE') {
    const sdp = data.toString().split('\r\n\r\n')[1] ?? '';
    portierRtp = { address: /c=IN IP4 (\S+)/.exec(sdp)![1]!, port: Number(/m=audio (\d+)/.exec(sdp)![1]) };
    respond(msg, '180 Ringing', rinfo);
    respond(msg, '200 OK', rinfo, answerSdp());
  } else if (msg.method === 'BYE') {
    respond(msg, '200 OK', rinfo);
  }
});

/** One key as RFC 4733 sends it: three updates, then three End packets (same timestamp); resolves with when the first End left. */
let seq = 0;
let timestamp = 0;
/** One 20 ms PCMA packet of silence from the phone's RTP socket (its SSRC, payload type 8). */
function sendAudio(): void {
  const b = Buffer.alloc(12 + 160, 0xd5);
  b[0] = 0x80;
  b[1] = 8;
  b.writeUInt16BE(seq++ & 0xffff, 2);
  b.writeUInt32BE((timestamp += 160) >>> 0, 4);
  b.writeUInt32BE(SSRC, 8);
  rtp.send(b, portierRtp!.port, portierRtp!.address);
}
function pressKey(code: number): number {
  timestamp += 8000;
  const packet = (end: boolean, duration: number) => {
    const b = Buffer.alloc(16);
    b[0] = 0x80;
    b[1] = 101;
    b.writeUInt16BE(seq++ & 0xffff, 2);
    b.writeUInt32BE(timestamp >>> 0, 4);
    b.writeUInt32BE(SSRC, 8);
    b[12] = code;
    b[13] = (end ? 0x80 : 0) | 10;
    b.writeUInt16BE(duration, 14);
    return b;
  };
  // A phone sends audio while a key is pressed: the relay hears keys only from the source and SSRC its first audio packet after the answer latched.
  sendAudio();
  for (let i = 1; i <= 3; i++) rtp.send(packet(false, i * 160), portierRtp!.port, portierRtp!.address);
  const endAt = performance.now();
  for (let i = 0; i < 3; i++) rtp.send(packet(true, 640), portierRtp!.port, portierRtp!.address);
  return endAt;
}

const kamailio = await Kamailio.start({ domain: 'portier.test', users: [{ username: 'lobby', password: 'lobby-secret-1' }], forward: { bench: { host: '127.0.0.1', port: sip.address().port } } });
const gw = spawnGateway({
  PORTIER_SIP__BIND_ADDRESS: '127.0.0.1',
  PORTIER_SIP__ACCOUNTS: `[{id: pbx, registrar: "127.0.0.1:${kamailio.port}", username: lobby, password: lobby-secret-1, domain: portier.test}]`,
  PORTIER_SIP__DOOR_CODE: '"*1"',
  // The controller acks every unlock, hundreds a second here: above a real door's rate limit (20/s, burst 100).
  PORTIER_DEVICE_HUB__MESSAGES_PER_SECOND: '100000', PORTIER_DEVICE_HUB__MESSAGE_BURST: '100000',
});
const sockets: Socket[] = [];
let door: mqtt.MqttClient | undefined;
try {
  const { http } = await gw.ready;
  const base = `http://127.0.0.1:${http}`;
  const access = { base, firstRunToken: () => readFileSync(join(gw.dataDir, 'first-run-link.txt'), 'utf8').split('#token=')[1]!.trim() };
  const site = await seedSite(access);
  const entry = await site.admin.post('/api/sites/hq/phonebook', { kind: 'person', name: 'Bench phone', routes: [{ type: 'sip', accountId: 'pbx', user: 'bench' }], policy: { legTimeoutS: 60 } });
  if (entry.status !== 201) throw new Error(JSON.stringify(entry.body));
  const device = await site.admin.post('/api/devices', { id: 'bench-door', kind: 'door', siteId: 'hq', doorId: site.doorId });
  if (device.status !== 201) throw new Error(JSON.stringify(device.body));
  const ready = (await site.admin.get('/ready')).body;
  door = await mqtt.connectAsync(`mqtt://127.0.0.1:${ready.components.mqtt.tcp}`, { username: 'bench-door', password: device.body.secret, clientId: 'bench-door', reconnectPeriod: 0 });
  await door.subscribeAsync(`portier/hq/doors/${site.doorId}/cmd`, { qos: 1 });
  let commandAt: ((t: number) => void) | undefined;
  door.on('message', (_topic, payload) => {
    commandAt?.(performance.now());
    const command = JSON.parse(payload.toString()) as { id: string };
    void door!.publishAsync('portier/hq/bench-door/ack', JSON.stringify({ id: command.id, result: 'ok' }), { qos: 1 });
  });

  const terminal = await connect(access, '/terminal', site.terminal.cookie);
  sockets.push(terminal);
  const started = await ack(terminal, 'call.start', { entryId: entry.body.id });
  if (!started.ok) throw new Error(started.message);
  await next(terminal, 'call.state', (m: any) => m.step === 'answered');

  const endToUnlock: number[] = [];
  for (let i = 0; i < PRESSES + 3; i++) {
    const command = new Promise<number>((resolve) => { commandAt = resolve; });
    const opened = next(terminal, 'door.state', (m: any) => m.state === 'open');
    pressKey(10);
    const t0 = pressKey(1);
    // No door.state within next()'s bound ends the bench through `finally` (gateway and Kamailio stopped), not as an unhandled rejection.
    const t1 = await Promise.race([command, opened.then(() => command)]);
    await opened;
    // The first presses warm the JIT: not counted.
    if (i >= 3) endToUnlock.push(t1 - t0);
  }
  await ack(terminal, 'call.hangup', { callId: started.callId });
  print({
    bench: 'sip-dtmf-door', presses: PRESSES,
    note: 'loopback; device_hub message limits raised for the controller\'s acks; RFC 4733 End packet of the last key of *1 at the phone → unlock command at the door controller (MQTT QoS 1); one call, the next press after door.state open',
    end_packet_to_unlock_ms: summary(endToUnlock),
  });
} finally {
  sockets.forEach((s) => s.close());
  await door?.endAsync(true);
  if (gw.child.exitCode === null) { gw.child.kill('SIGTERM'); await gw.exited.catch(() => undefined); }
  gw.cleanup();
  await kamailio.close();
  sip.close();
  rtp.close();
}
