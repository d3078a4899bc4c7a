// Post-dial delay through the SIP bridge, against a gateway running as its own
// process and a real Kamailio (registrar and proxy, digest on the INVITE):
// a terminal's call.start to a phone-book entry with a SIP route → the INVITE
// at the phone (a scripted UAS on a Node UDP socket, which answers 180 at once)
// → call.state ringing back at the terminal; then the terminal hangs up (CANCEL).
// Prints p50/p99 of each stretch and what Portier adds (everything but Kamailio
// and the UAS): start→INVITE and 180→ringing.
// Usage: node scripts/run.mjs node bench/sip-post-dial.ts [--smoke]
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Socket } from 'socket.io-client';
import { spawnGateway } from '../test/support/gateway-process.ts';
import { seedSite, connect, ack, next } from '../test/support/signaling.ts';
import { Kamailio } from '../test/support/kamailio.ts';
import { parseWire, headerValue, type WireMessage } from '../src/sip-bridge/sip-wire.ts';
import { summary, smoke, print } from './lib.ts';

const CALLS = smoke ? 5 : 200;

/** The phone: answers INVITE with 180 (and notes when it came), CANCEL with 200 and 487. */
const uas = createSocket('udp4');
await new Promise<void>((resolve) => uas.bind(0, '127.0.0.1', resolve));
let inviteAt: ((t: number) => void) | undefined;
let ringingSentAt = 0;
const invites = new Map<string, WireMessage>();
const headers = (msg: WireMessage, names: string[]) => msg.lines.slice(1, msg.headerEnd).filter((l) => names.includes(l.slice(0, l.indexOf(':')).trim().toLowerCase()));
function respond(to: WireMessage, status: string, toTag: string | undefined, rinfo: { address: string; port: number }, via = to): void {
  const lines = [`SIP/2.0 ${status}`, ...headers(via, ['via', 'v']), ...headers(to, ['from', 'f', 'call-id', 'i', 'cseq'])];
  const toLine = headers(to, ['to', 't'])[0]!;
  lines.push(toTag && !/;tag=/.test(toLine) ? `${toLine};tag=${toTag}` : toLine, `Contact: <sip:bench@127.0.0.1:${uas.address().port}>`, 'Content-Length: 0', '', '');
  uas.send(lines.join('\r\n'), rinfo.port, rinfo.address);
}
uas.on('message', (data, rinfo) => {
  const msg = parseWire(data.toString());
  if (!msg?.method) return;
  const callId = headerValue(msg, 'call-id') ?? '';
  if (msg.method === 'INVITE') {
    inviteAt?.(performance.now());
    invites.set(callId, msg);
    respond(msg, '180 Ringing', 'bench', rinfo);
    ringingSentAt = performance.now();
  } else if (msg.method === 'CANCEL') {
    respond(msg, '200 OK', undefined, rinfo);
    const invite = invites.get(callId);
    if (invite) respond(invite, '487 Request Terminated', 'bench', rinfo);
    invites.delete(callId);
  }
});

const kamailio = await Kamailio.start({ domain: 'portier.test', users: [{ username: 'lobby', password: 'lobby-secret-1' }], forward: { bench: { host: '127.0.0.1', port: uas.address().port } } });
const gw = spawnGateway({
  PORTIER_SIP__BIND_ADDRESS: '127.0.0.1',
  PORTIER_SIP__ACCOUNTS: `[{id: pbx, registrar: "127.0.0.1:${kamailio.port}", username: lobby, password: lobby-secret-1, domain: portier.test}]`,
});
const sockets: Socket[] = [];
try {
  const { http } = await gw.ready;
  const base = `http://127.0.0.1:${http}`;
  const access = { base, firstRunToken: () => readFileSync(join(gw.dataDir, 'first-run-link.txt'), 'utf8').split('#token=')[1]!.trim() };
  const site = await seedSite(access);
  const entry = await site.admin.post('/api/sites/hq/phonebook', { kind: 'person', name: 'Bench phone', routes: [{ type: 'sip', accountId: 'pbx', user: 'bench' }], policy: { legTimeoutS: 60 } });
  if (entry.status !== 201) throw new Error(JSON.stringify(entry.body));
  const terminal = await connect(access, '/terminal', site.terminal.cookie);
  sockets.push(terminal);
  const postDial: number[] = [];
  const toInvite: number[] = [];
  const ringingBack: number[] = [];
  for (let i = 0; i < CALLS + 3; i++) {
    const invited = new Promise<number>((resolve) => { inviteAt = resolve; });
    const t0 = performance.now();
    const started = await ack(terminal, 'call.start', { entryId: entry.body.id });
    if (!started.ok) throw new Error(started.message);
    await next(terminal, 'call.state', (m: any) => m.step === 'ringing' && m.callId === started.callId);
    const t2 = performance.now();
    const t1 = await invited;
    // The first calls warm the JIT and the account's sockets: not counted.
    if (i >= 3) { postDial.push(t2 - t0); toInvite.push(t1 - t0); ringingBack.push(t2 - ringingSentAt); }
    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended' && m.callId === started.callId);
    await ack(terminal, 'call.hangup', { callId: started.callId });
    await ended;
  }
  print({
    bench: 'sip-post-dial', calls: CALLS,
    note: 'loopback; Kamailio challenges every INVITE (407, then with credentials), so start→INVITE holds one extra round trip through Kamailio',
    post_dial_ms: summary(postDial), start_to_invite_ms: summary(toInvite), ringing_180_to_terminal_ms: summary(ringingBack),
  });
} finally {
  sockets.forEach((s) => s.close());
  // Ends the gateway (SIGTERM: it unregisters) and waits for it, then removes its data.
  if (gw.child.exitCode === null) { gw.child.kill('SIGTERM'); await gw.exited.catch(() => undefined); }
  gw.cleanup();
  await kamailio.close();
  uas.close();
}
