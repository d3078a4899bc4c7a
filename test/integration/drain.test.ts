// SIGTERM drains: new calls are refused and /ready says 503 while running calls
// get the drain bound; a call that ends lets the process exit at once, one still
// running at the bound ends with reason shutdown; the process exits 0 either way.
// Every step waits for an event (a log line, a socket event, the exit), never for time.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'socket.io-client';
import { spawnGateway, type GatewayProcess } from '../support/gateway-process.ts';
import { seedSite, connect, ack, next, answeredCall, type SiteFixture } from '../support/signaling.ts';
import { ApiClient } from '../support/gateway.ts';

type Running = { base: string; site: SiteFixture; access: { base: string; firstRunToken(): string }; desk: Socket; terminal: Socket; callId: string };

/** A spawned gateway with an answered call from the seeded terminal to rita. */
async function answeredCallOn(gw: GatewayProcess): Promise<Running> {
  const { http } = await gw.ready;
  const base = `http://127.0.0.1:${http}`;
  const access = { base, firstRunToken: () => readFileSync(join(gw.dataDir, 'first-run-link.txt'), 'utf8').split('#token=')[1]!.trim() };
  const site = await seedSite(access);
  const { rita: desk, terminal, callId } = await answeredCall(access, site);
  expect((await site.admin.get('/ready')).body.components.signaling.calls).toBe(1);
  return { base, site, access, desk, terminal, callId };
}

describe('draining on SIGTERM', () => {
  let gw: GatewayProcess | undefined;
  afterEach(() => gw?.cleanup());

  it('refuses new calls and reports draining while a call runs, and exits 0 as soon as it ends', async () => {
    gw = spawnGateway({ PORTIER_LIFECYCLE__DRAIN_SECONDS: '120' });
    const { base, site, access, desk, terminal, callId } = await answeredCallOn(gw);
    const created = (await site.admin.post('/api/terminals', { name: 'Lobby 2', siteId: 'hq' })).body;
    const kiosk = new ApiClient(base);
    await kiosk.post('/api/terminal/pair', { code: created.pairing.code });

    gw.child.kill('SIGTERM');
    await gw.waitForLog((l) => l.msg === 'gateway: draining');
    const ready = await site.admin.get('/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.components.gateway.state).toBe('draining');
    const second = await connect(access, '/terminal', kiosk.cookie!);
    expect(await ack(second, 'call.start', { entryId: site.entries['Empfang'] })).toMatchObject({ ok: false, error: 'conflict', message: 'the gateway is shutting down' });
    second.close();
    // The running call goes on until someone hangs up; then the gateway stops without waiting for the bound.
    expect(gw.logs.some((l) => l.msg === 'gateway: drained')).toBe(false);
    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended');
    // The hang-up's acknowledgement may be cut off by the shutdown it allows; its effect is what counts.
    desk.emit('call.hangup', { callId }, () => undefined);
    expect(await ended).toMatchObject({ callId, reason: 'hangup-desk' });
    expect(await gw.exited).toEqual({ code: 0, signal: null });
    expect(gw.logs.find((l) => l.msg === 'gateway: drained')?.remaining).toBe(0);
    desk.close();
    terminal.close();
  });

  it('ends a call still running at the drain bound with reason shutdown and exits 0', async () => {
    gw = spawnGateway({ PORTIER_LIFECYCLE__DRAIN_SECONDS: '1' });
    const { desk, terminal, callId } = await answeredCallOn(gw);
    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended', 30_000);
    gw.child.kill('SIGTERM');
    expect(await ended).toMatchObject({ callId, reason: 'shutdown' });
    expect(await gw.exited).toEqual({ code: 0, signal: null });
    expect(gw.logs.find((l) => l.msg === 'gateway: drained')?.remaining).toBe(1);
    desk.close();
    terminal.close();
  });
});
