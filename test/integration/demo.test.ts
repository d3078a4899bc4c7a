// Demo mode: one command seeds a site, two desk users, the reception and a
// terminal, and prints what a newcomer needs to make a call.
import { afterEach, describe, expect, it } from 'vitest';
import { spawnGateway, type GatewayProcess } from '../support/gateway-process.ts';
import { ApiClient } from '../support/gateway.ts';

describe('demo mode', () => {
  let gw: GatewayProcess | undefined;
  afterEach(() => gw?.cleanup());

  it('prints the terminal and desk URLs with a pairing code and passwords that work', async () => {
    gw = spawnGateway({}, ['--demo']);
    const { http } = await gw.ready;
    const printed = await gw.waitForStderr(/desk: .*\n/);
    expect(printed).toContain(`http://localhost:${http}/terminal`);
    expect(printed).toContain(`http://localhost:${http}/desk`);
    const code = /Kopplungscode: (\d{4}-\d{4})/.exec(printed)![1]!;
    const [, annaPassword] = /anna \/ (\S+) \[host\]/.exec(printed)!;

    const kiosk = new ApiClient(`http://127.0.0.1:${http}`);
    expect((await kiosk.post('/api/terminal/pair', { code })).status).toBe(200);
    expect((await kiosk.get('/api/terminal/me')).body).toMatchObject({ name: 'Lobby Demo', siteId: 'demo', hasDoor: true });
    const anna = new ApiClient(`http://127.0.0.1:${http}`);
    expect((await anna.post('/api/auth/login', { login: 'anna', password: annaPassword })).status).toBe(200);
    const book = (await anna.get('/api/sites/demo/phonebook')).body.map((e: { name: string }) => e.name);
    expect(book).toEqual(['Anna Müller', 'Empfang / Reception']);
    for (const page of ['terminal', 'desk', 'admin']) {
      const res = await fetch(`http://127.0.0.1:${http}/${page}`);
      expect(await res.text()).toContain(`/assets/${page}.js`);
      expect((await fetch(`http://127.0.0.1:${http}/assets/${page}.js`)).status).toBe(200);
    }
  });
});
