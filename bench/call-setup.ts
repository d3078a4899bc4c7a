// Call setup and memory, against a gateway running as its own process:
// - time from a terminal's call.start to the desk's call.ring (socket.io clients), p50/p99;
// - gateway memory (node + worker RSS) per idle terminal connection and per answered call.
// Usage: node scripts/run.mjs node bench/call-setup.ts [--smoke]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Socket } from 'socket.io-client';
import { spawnGateway } from '../test/support/gateway-process.ts';
import { ApiClient } from '../test/support/gateway.ts';
import { seedSite, connect, ack, next } from '../test/support/signaling.ts';
import { summary, rssMiB, smoke, print } from './lib.ts';

const CALLS = smoke ? 10 : 200;
const IDLE_TERMINALS = smoke ? 5 : 200;
const ACTIVE_CALLS = smoke ? 2 : 20;

const gw = spawnGateway();
const sockets: Socket[] = [];
try {
  const { http } = await gw.ready;
  const base = `http://127.0.0.1:${http}`;
  const access = { base, firstRunToken: () => readFileSync(join(gw.dataDir, 'first-run-link.txt'), 'utf8').split('#token=')[1]!.trim() };
  const site = await seedSite(access);
  const gatewayRss = async () => {
    // Worker pids are among /ready's details: an admin's.
    const ready = (await site.admin.get('/ready')).body as { components: { sfu: { workers: Array<{ pid: number }> } } };
    return rssMiB(gw.child.pid!) + ready.components.sfu.workers.reduce((s, w) => s + rssMiB(w.pid), 0);
  };

  // 1. Call setup latency: call.start → call.ring at the desk, then the terminal cancels.
  const desk = await connect(access, '/desk', site.users.anna!.cookie);
  const terminal = await connect(access, '/terminal', site.terminal.cookie);
  sockets.push(desk, terminal);
  const setup: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const rung = next(desk, 'call.ring');
    const t0 = performance.now();
    const started = await ack(terminal, 'call.start', { entryId: site.entries['Anna Müller'] });
    if (!started.ok) throw new Error(started.message);
    await rung;
    setup.push(performance.now() - t0);
    const stopped = next(desk, 'call.stop-ring');
    await ack(terminal, 'call.hangup', { callId: started.callId });
    await stopped;
  }

  // 2. Memory per idle terminal connection.
  const kiosks: string[] = [];
  for (let i = 0; i < Math.max(IDLE_TERMINALS, ACTIVE_CALLS); i++) {
    const created = (await site.admin.post('/api/terminals', { name: `Bench ${i}`, siteId: 'hq' })).body;
    const kiosk = new ApiClient(base);
    await kiosk.post('/api/terminal/pair', { code: created.pairing.code });
    kiosks.push(kiosk.cookie!);
  }
  const beforeIdle = await gatewayRss();
  for (const cookie of kiosks.slice(0, IDLE_TERMINALS)) sockets.push(await connect(access, '/terminal', cookie));
  await new Promise((r) => setTimeout(r, 500));
  const afterIdle = await gatewayRss();

  // 3. Memory per answered call (a router and two transports each, no RTP yet).
  const hosts: Array<{ cookie: string; entryId: string }> = [];
  for (let i = 0; i < ACTIVE_CALLS; i++) {
    const user = (await site.admin.post('/api/users', { login: `host${i}`, displayName: `Host ${i}`, password: 'a long enough password' })).body;
    await site.admin.post(`/api/users/${user.id}/roles`, { roleId: 'host', siteId: 'hq' });
    const entry = (await site.admin.post('/api/sites/hq/phonebook', { kind: 'person', name: `Host ${i}`, routes: [{ type: 'desk-user', userId: user.id }] })).body;
    const c = new ApiClient(base);
    await c.post('/api/auth/login', { login: `host${i}`, password: 'a long enough password' });
    hosts.push({ cookie: c.cookie!, entryId: entry.id });
  }
  const beforeCalls = await gatewayRss();
  for (let i = 0; i < ACTIVE_CALLS; i++) {
    const d = await connect(access, '/desk', hosts[i]!.cookie);
    const t = sockets[2 + i]!;
    sockets.push(d);
    const rung = next(d, 'call.ring');
    const { callId } = await ack(t, 'call.start', { entryId: hosts[i]!.entryId });
    await rung;
    await ack(d, 'call.answer', { callId });
    await ack(t, 'media.transport', { callId });
    await ack(d, 'media.transport', { callId });
  }
  await new Promise((r) => setTimeout(r, 500));
  const afterCalls = await gatewayRss();

  print({
    bench: 'call-setup', calls: CALLS,
    call_start_to_ring_ms: summary(setup),
    idle_terminals: IDLE_TERMINALS,
    rss_per_idle_terminal_kib: Math.round(((afterIdle - beforeIdle) * 1024) / IDLE_TERMINALS),
    active_calls: ACTIVE_CALLS,
    rss_per_active_call_kib: Math.round(((afterCalls - beforeCalls) * 1024) / ACTIVE_CALLS),
    gateway_rss_mib: Number(afterCalls.toFixed(1)),
  });
} finally {
  sockets.forEach((s) => s.close());
  gw.child.kill('SIGTERM');
  await gw.exited;
  gw.cleanup();
}
