// SIGTERM drains: new calls are refused and /ready says 503 while running calls
// get the drain bound; then the calls end with reason shutdown and the process exits 0.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnGateway, type GatewayProcess } from '../support/gateway-process.ts';
import { seedSite, connect, ack, next } from '../support/signaling.ts';
import { ApiClient } from '../support/gateway.ts';

describe('draining on SIGTERM', () => {
  let gw: GatewayProcess | undefined;
  afterEach(() => gw?.cleanup());

  it('refuses new calls, reports draining, ends running calls at the bound and exits 0', async () => {
    gw = spawnGateway({ PORTIER_LIFECYCLE__DRAIN_SECONDS: '2' });
    const { http } = await gw.ready;
    const base = `http://127.0.0.1:${http}`;
    const access = { base, firstRunToken: () => readFileSync(join(gw!.dataDir, 'first-run-link.txt'), 'utf8').split('#token=')[1]!.trim() };
    const site = await seedSite(access);
    const created = (await site.admin.post('/api/terminals', { name: 'Lobby 2', siteId: 'hq' })).body;
    const pairAnother = async () => {
      const kiosk = new ApiClient(base);
      await kiosk.post('/api/terminal/pair', { code: created.pairing.code });
      return kiosk.cookie!;
    };
    const desk = await connect(access, '/desk', site.users.rita!.cookie);
    const terminal = await connect(access, '/terminal', site.terminal.cookie);
    const { callId } = await ack(terminal, 'call.start', { entryId: site.entries['Empfang'] });
    await next(desk, 'call.ring');
    expect(await ack(desk, 'call.answer', { callId })).toMatchObject({ ok: true });
    expect((await site.admin.get('/ready')).body.components.signaling.calls).toBe(1);

    const secondCookie = await pairAnother();
    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended', 10_000);
    gw.child.kill('SIGTERM');
    // Draining: /ready turns 503 and a new call is refused; the running call goes on.
    let ready: any;
    for (let i = 0; i < 50; i++) {
      ready = await fetch(`${base}/ready`);
      if (ready.status === 503) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(ready.status).toBe(503);
    expect((await ready.json()).components.gateway.state).toBe('draining');
    const second = await connect(access, '/terminal', secondCookie);
    expect(await ack(second, 'call.start', { entryId: site.entries['Empfang'] })).toMatchObject({ ok: false, error: 'conflict', message: 'the gateway is shutting down' });
    second.close();
    expect(await ended).toMatchObject({ callId, reason: 'shutdown' });
    expect(await gw.exited).toEqual({ code: 0, signal: null });
    const drained = gw.logs.find((l) => l.msg === 'gateway: drained');
    expect(drained?.remaining).toBe(1);
    desk.close();
    terminal.close();
  });
});
