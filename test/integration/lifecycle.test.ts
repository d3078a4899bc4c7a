// The gateway as a process: ready with every component, first-run link only in
// a file, a killed worker replaced, SIGTERM exits 0 (also during the start, and npm start's Ctrl-C to the whole group;
// a second signal REPEAT_MS later exits 1 at once),
// a failed start exits ≠ 0 (also with a SIGTERM during it).
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnGateway, spawnStartScript, type GatewayProcess } from '../support/gateway-process.ts';
import { REPEAT_MS } from '../../src/lifecycle/stop-on-signals.ts';
import { requireWorkerBin } from '../support/tools.ts';
import { heldWorker, type HeldWorker } from '../support/held-worker.ts';
import { signInFirstAdmin } from '../support/gateway.ts';

describe('gateway process', () => {
  let gw: GatewayProcess | undefined;
  let blocker: Server | undefined;
  let hold: HeldWorker | undefined;
  const dirs: string[] = [];
  const holdDir = () => { const dir = mkdtempSync(join(tmpdir(), 'portier-hold-')); dirs.push(dir); return dir; };
  /** A gateway whose start waits for its media worker's first answer, sent SIGTERM during that wait; resolves once it logged that it stops. */
  const signalledDuringStart = async (env: Record<string, string> = {}): Promise<{ gateway: GatewayProcess; held: HeldWorker }> => {
    const held = hold = await heldWorker(holdDir());
    const gateway = gw = spawnGateway({ ...held.env, ...env });
    await held.held;
    gateway.child.kill('SIGTERM');
    await gateway.waitForLog((l) => l.msg === 'gateway: stopping');
    return { gateway, held };
  };
  afterEach(() => {
    gw?.cleanup(); blocker?.close(); hold?.close(); gw = undefined; blocker = undefined; hold = undefined;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const ready = async (port: number) => {
    const res = await fetch(`http://127.0.0.1:${port}/ready`);
    return { status: res.status, body: await res.json() as any };
  };

  it('starts on embedded defaults, reports every component ready and stops on SIGTERM with exit 0', async () => {
    requireWorkerBin();
    gw = spawnGateway();
    const ports = await gw.ready;
    const r = await ready(ports.http);
    expect(r.status).toBe(200);
    expect(r.body.components.store.state).toBe('ready');
    // Anyone on the localhost listener gets states and bound ports, not the details.
    expect(r.body.ports.rtc).toHaveLength(1);
    expect(r.body.ports.https).toBe(ports.https);
    expect(r.body.components.sfu.workers).toBeUndefined();
    // The ready line names the pages' addresses, for an operator to copy from the console.
    const readyLine = gw.logs.find((l) => l.msg === 'gateway: ready');
    for (const page of ['admin', 'desk', 'terminal']) expect(readyLine?.pages?.[page]).toMatch(new RegExp(`^https://[^/:]+:${ports.https}/${page}$`));

    // The first-run link is in a 0600 file; neither the log nor stderr carries it.
    const file = join(gw.dataDir, 'first-run-link.txt');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const token = readFileSync(file, 'utf8').split('#token=')[1]!.trim();
    expect(JSON.stringify(gw.logs)).not.toContain(token);
    expect(gw.stderr()).toContain(file);
    expect(gw.stderr()).not.toContain(token);

    gw.child.kill('SIGTERM');
    expect(await gw.exited).toEqual({ code: 0, signal: null });
    expect(gw.logs.map((l) => l.msg)).toContain('gateway: stopped');
  });

  it('stops with exit 0 on a SIGTERM during the start, once started: no listener then let the signal kill it outright', async () => {
    // The start waits for its media worker's first answer (mediasoup's signal handlers already removed): the signal lands during it.
    const { gateway, held } = await signalledDuringStart();
    held.release();
    expect(await gateway.exited).toEqual({ code: 0, signal: null });
    const messages = gateway.logs.map((l) => l.msg);
    expect(messages).toContain('gateway: stopped');
    // Stopped before it was ready: the stop came during the start.
    expect(messages).not.toContain('gateway: ready');
  });

  it('exits 1 at once on a second signal during a start that hangs, not at the shutdown bound', async () => {
    const { gateway } = await signalledDuringStart();
    // Only a signal REPEAT_MS after the first is a second one (copies of the first come with it): a rule in time, so
    // the test waits that long — more on a slow machine changes nothing.
    await new Promise((resolve) => setTimeout(resolve, REPEAT_MS + 100));
    gateway.child.kill('SIGINT');
    expect(await gateway.exited).toEqual({ code: 1, signal: null });
    const second = gateway.logs.find((l) => l.msg?.startsWith('gateway: second signal'));
    expect(second?.signal).toBe('SIGINT');
    const messages = gateway.logs.map((l) => l.msg);
    expect(messages).not.toContain('gateway: shutdown exceeded its bound');
    expect(messages).not.toContain('gateway: stopped');
  });

  it('npm start stopped with Ctrl-C (SIGINT to its process group, passed on by start.mjs) drains, closes and exits 0, its media workers untouched', async () => {
    requireWorkerBin();
    gw = spawnStartScript();
    await gw.ready;
    process.kill(-gw.child.pid!, 'SIGINT');
    expect(await gw.exited).toEqual({ code: 0, signal: null });
    const messages = gw.logs.map((l) => l.msg);
    expect(messages).toContain('gateway: stopped');
    expect(messages.filter((m) => m?.startsWith('gateway: second signal'))).toEqual([]);
    // The media workers are not signalled (they close themselves on SIGINT, ending every call before the drain).
    expect(messages.filter((m) => m?.startsWith('sfu: worker died'))).toEqual([]);
  });

  it('exits 1 with the start error on a SIGTERM during a start that then fails (its HTTP port taken)', async () => {
    blocker = createServer();
    await new Promise<void>((r) => blocker!.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    const { gateway, held } = await signalledDuringStart({ PORTIER_HTTP__PORT: String(port) });
    held.release();
    expect(await gateway.exited).toEqual({ code: 1, signal: null });
    expect(gateway.stderr()).toContain(`portier: http failed to start: port ${port} (http.port) is already in use`);
    const messages = gateway.logs.map((l) => l.msg);
    expect(messages).toContain('gateway: start failed');
    expect(messages).not.toContain('gateway: stopped');
    expect(messages).not.toContain('gateway: ready');
  });

  it('logs no line per HTTP request at info: one debug line naming the route pattern, never the URL with its query', async () => {
    gw = spawnGateway({ PORTIER_LOG__LEVEL: 'debug' });
    const ports = await gw.ready;
    for (let i = 0; i < 3; i++) await ready(ports.http);
    const refused = await fetch(`http://127.0.0.1:${ports.http}/api/sites/s1/calls?token=not-for-the-log`);
    expect(refused.status).toBe(401);
    await gw.waitForLog((l) => l.msg === 'http: request' && l.status === 401);
    const requests = gw.logs.filter((l) => l.msg === 'http: request');
    expect(requests.filter((l) => l.route === '/ready')).toHaveLength(3);
    expect(requests.every((l) => l.level === 20)).toBe(true);
    expect(gw.logs.filter((l) => l.level >= 30 && /request (completed)?$|^incoming request$/.test(l.msg ?? '') && l.msg !== 'request refused')).toEqual([]);
    expect(JSON.stringify(gw.logs)).not.toContain('not-for-the-log');
    // The TLS listener says https:, not fastify's http:.
    expect(gw.logs.map((l) => l.msg)).toContain(`https: listening at https://127.0.0.1:${ports.https}`);
  });

  it('survives kill -9 of a worker: replaced on its port, /ready back to ready', async () => {
    gw = spawnGateway();
    const { http } = await gw.ready;
    const dataDir = gw.dataDir;
    const admin = await signInFirstAdmin({ base: `http://127.0.0.1:${http}`, firstRunToken: () => readFileSync(join(dataDir, 'first-run-link.txt'), 'utf8').split('#token=')[1]!.trim() });
    const details = async () => { const res = await admin.get('/ready'); return { status: res.status, body: res.body }; };
    const before = (await details()).body.components.sfu.workers[0];
    process.kill(before.pid, 'SIGKILL');
    // The gateway logs the replacement; then /ready shows it ready on the same ports.
    await gw.waitForLog((l) => l.msg === 'sfu: worker replaced' && l.worker === 0);
    const r = await details();
    expect(r.status).toBe(200);
    const after = r.body.components.sfu.workers[0];
    expect(after.restarts).toBe(1);
    expect(after.pid).not.toBe(before.pid);
    expect(after.ports).toEqual(before.ports);
  });

  it('stops with a clear message and a non-zero exit when a component cannot start', async () => {
    blocker = createServer();
    await new Promise<void>((r) => blocker!.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    gw = spawnGateway({ PORTIER_HTTP__PORT: String(port) });
    const exit = await gw.exited;
    expect(exit.code).toBe(1);
    // One line naming the key and its variable (EN / DE), no stack trace.
    expect(gw.stderr()).toContain(`portier: http failed to start: port ${port} (http.port) is already in use by another program: stop it or set http.port (PORTIER_HTTP__PORT) to a free port / Port ${port} (http.port) ist bereits belegt`);
    expect(gw.stderr()).not.toMatch(/^\s+at /m);
  });

  it('names rtc.base_port when a media worker\'s port is taken', async () => {
    const udp = createSocket('udp4');
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    const port = udp.address().port;
    try {
      gw = spawnGateway({ PORTIER_RTC__BASE_PORT: String(port), PORTIER_RTC__WORKERS: '1' });
      const exit = await gw.exited;
      expect(exit.code).toBe(1);
      expect(gw.stderr()).toContain(`portier: sfu failed to start: port ${port} (rtc.base_port) is already in use by another program: stop it or set rtc.base_port (PORTIER_RTC__BASE_PORT) to a free port`);
      expect(gw.stderr()).not.toMatch(/^\s+at /m);
    } finally {
      udp.close();
    }
  });
});
