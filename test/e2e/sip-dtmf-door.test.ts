// The door opened from the phone, as the visitor sees it: a Chromium terminal
// (bound to the lobby door) calls a PBX extension through Kamailio; sipp
// answers and presses *1 as SIP INFO; the kiosk shows the same honest door
// states as for the desk's Open door — opening while the real MQTT door
// controller has not acknowledged, open once it has.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startGateway } from '../support/gateway.ts';
import { seedSite, type Gw, type SiteFixture } from '../support/signaling.ts';
import { launchChromium } from '../support/browser.ts';
import { pairedTerminalPage } from '../support/pages.ts';
import { Kamailio } from '../support/kamailio.ts';
import { Sipp } from '../support/sipp.ts';
import { doorController, type DoorController } from '../support/door-controller.ts';

const DOMAIN = 'portier.test';

describe('a Chromium terminal whose host opens the door from the phone', () => {
  let gw: Gw;
  let site: SiteFixture;
  let kamailio: Kamailio;
  let sipp: Sipp;
  let door: DoorController;
  let chromium: { browser: Browser; close: () => Promise<void> };
  let terminal: Page | undefined;

  beforeAll(async () => {
    sipp = await Sipp.uas(join(import.meta.dirname, '..', 'sip-bridge', 'scenarios', 'info-keys.xml'), { first: '*', second: '1' });
    kamailio = await Kamailio.start({ domain: DOMAIN, users: [{ username: 'lobby', password: 'lobby-secret-1' }], forward: { anna: { host: '127.0.0.1', port: sipp.port } } });
    gw = await startGateway({
      PORTIER_SIP__BIND_ADDRESS: '127.0.0.1',
      PORTIER_SIP__ACCOUNTS: `[{id: pbx, registrar: "127.0.0.1:${kamailio.port}", username: lobby, password: lobby-secret-1, domain: ${DOMAIN}}]`,
      // The test acknowledges the command by hand: a window no loaded machine misses.
      PORTIER_DEVICE_HUB__COMMAND_ACK_SECONDS: '60',
    });
    site = await seedSite(gw, { legTimeoutS: 60 });
    const res = await site.admin.post('/api/sites/hq/phonebook', { kind: 'person', name: 'Anna Telefon', routes: [{ type: 'sip', accountId: 'pbx', user: 'anna' }], policy: { legTimeoutS: 60 } });
    expect(res.status).toBe(201);
    door = await doorController(site, 'lobby-door');
    chromium = await launchChromium();
    // sipp, Kamailio, a gateway and Chromium: a bound a loaded 2-core machine meets (vitest's 60 s did not once).
  }, 180_000);
  afterAll(async () => {
    await terminal?.context().close().catch(() => undefined);
    await chromium?.close();
    await door?.close();
    await gw?.close();
    await kamailio?.close();
    await sipp?.close();
  });

  it('*1 pressed on the phone: the kiosk shows opening, then open once the door acknowledged', async () => {
    terminal = await pairedTerminalPage(chromium.browser, gw.base.replace('127.0.0.1', 'localhost'), site, 'Lobby phone door', { doorId: site.doorId });
    await terminal.getByLabel('Name or department').fill('Anna');
    await terminal.getByRole('button', { name: /Anna Telefon/ }).click();
    await terminal.locator('[data-step="answered"]').waitFor();
    // sipp presses * and 1 as INFO once the call is answered: the unlock reaches the door's topic.
    const command = await door.nextCommand();
    expect(command).toMatchObject({ action: 'unlock' });
    await terminal.getByText('Opening the door …').waitFor();
    await expect(terminal.getByText('The door is open – please come in.').count()).resolves.toBe(0);
    await door.acknowledge(command.id);
    await terminal.getByText('The door is open – please come in.').waitFor();
    await terminal.getByRole('button', { name: 'Hang up' }).click();
    await terminal.getByRole('heading', { name: 'Welcome! Who would you like to see?' }).waitFor({ timeout: 20_000 });
  });
});
