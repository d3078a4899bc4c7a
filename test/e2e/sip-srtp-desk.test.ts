// A receptionist in Chromium sees whether the telephone's leg of the call is
// encrypted, over real SIP software: Portier registered at Kamailio over TLS with
// srtp: offer; two baresip phones registered there dial Portier's AOR — alice with
// the srtp module and mediaenc=srtp-mand (RTP/SAVP with its SDES key), bob plain
// (RTP/AVP). Kamailio looks Portier up and relays each INVITE over Portier's TLS
// connection; the reception's desk page shows beside the caller "encrypted (SRTP)" /
// "verschlüsselt (SRTP)" for alice and "not encrypted (RTP)" / "nicht verschlüsselt
// (RTP)" for bob — an icon and words, with a title — on the ringing card already (the
// INVITE's offer says it), then in the answered call's heading. The peers start once
// for the file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startSeededSipGateway } from '../support/sip-gateway.ts';
import type { Gw, SiteFixture } from '../support/signaling.ts';
import { launchChromium } from '../support/browser.ts';
import { deskPage } from '../support/pages.ts';
import { until } from '../support/call-flow.ts';
import { Kamailio } from '../support/kamailio.ts';
import { Baresip } from '../support/baresip.ts';
import { TestCa } from '../support/test-ca.ts';
import { untilAccount } from '../sip-bridge/account-state.ts';

const DOMAIN = 'portier.test';

describe('the desk shows whether a telephone\'s leg is encrypted (SRTP) or not (RTP)', () => {
  let ca: TestCa;
  let kamailio: Kamailio;
  let gw: Gw;
  let site: SiteFixture;
  let dataDir: string;
  let chromium: { browser: Browser; close: () => Promise<void> };
  let rita: Page;
  const phones: Baresip[] = [];

  /** A baresip phone registered at Kamailio as `user`; `srtp`: it offers SRTP only. */
  const phone = async (user: string, password: string, srtp: boolean): Promise<Baresip> => {
    const p = await Baresip.start({
      aor: `sip:${user}@${DOMAIN}`, srtp,
      accountParams: { auth_pass: password, outbound: `"sip:127.0.0.1:${kamailio.port};lr"`, regint: 600, ...(srtp ? { mediaenc: 'srtp-mand' } : {}) },
    });
    phones.push(p);
    await until(() => p.output.includes(`${user}@portier.test: {0/UDP/v4} 200 OK`), `${user} is registered at Kamailio`);
    return p;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'portier-srtp-desk-'));
    ca = await TestCa.create('Portier test PBX CA');
    kamailio = await Kamailio.start({
      domain: DOMAIN, lookup: true,
      tls: await ca.server('pbx.portier.test', { dns: ['pbx.portier.test'], ip: ['127.0.0.1'] }),
      users: [{ username: 'lobby', password: 'lobby-secret-1' }, { username: 'alice', password: 'alice-secret-1' }, { username: 'bob', password: 'bob-secret-1' }],
    });
    ({ gw, site } = await startSeededSipGateway(dataDir, (site) => `[{id: pbx, transport: tls, srtp: offer, registrar: "127.0.0.1:${kamailio.tlsPort}", username: lobby, password: lobby-secret-1, domain: ${DOMAIN}, `
      + `tls: {ca: "${ca.cert}", server_name: pbx.portier.test}, `
      + `inbound: {username: pbx-in, password: trunk-secret-7, trust_registrar: true, numbers: [{number: "lobby", entry: "${site.entries['Empfang']}"}]}}]`));
    await untilAccount(gw.gateway.services.sip.account('pbx')!, (s) => s.state === 'registered');
    chromium = await launchChromium();
    rita = await deskPage(chromium.browser, gw.base.replace('127.0.0.1', 'localhost'), 'rita');
  }, 120_000);

  afterAll(async () => {
    await rita?.context().close().catch(() => undefined);
    await chromium?.close();
    for (const p of phones) await p.close();
    await gw?.close();
    await kamailio?.close();
    ca?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** The ringing card's indicator in English and German (before the answer), then its attribute and title. */
  type Shown = { en: string; de: string; media: 'srtp' | 'rtp' };

  /**
   * The phone dials Portier's AOR; the ringing card says `shown` before anyone answers (in English, then German);
   * the desk answers; resolves with the heading's indicator once it shows.
   */
  const answered = async (caller: Baresip, shown: Shown) => {
    await caller.command('dial', `sip:lobby@${DOMAIN}`);
    const ring = rita.getByRole('alertdialog');
    const ringing = ring.locator('h2 .leg-media');
    await ringing.waitFor();
    expect(await ringing.textContent()).toBe(shown.en);
    expect(await ringing.getAttribute('data-media')).toBe(shown.media);
    expect(await ringing.getAttribute('title')).toBe('Voice connection to the telephone system');
    await rita.getByRole('button', { name: 'Deutsch' }).click();
    await expect.poll(() => ringing.textContent()).toBe(shown.de);
    expect(await ringing.getAttribute('title')).toBe('Sprachverbindung zur Telefonanlage');
    await rita.getByRole('button', { name: 'English' }).click();
    await expect.poll(() => ringing.textContent()).toBe(shown.en);
    // Nobody answered yet: the indicator came with the ring.
    expect(gw.gateway.services.calls.activeCalls.find((c) => !c.ended)?.answered).toBe(false);
    await ring.getByRole('button', { name: 'Answer' }).click();
    await caller.event('CALL_ESTABLISHED');
    const call = gw.gateway.services.calls.activeCalls.find((c) => !c.ended)!;
    // (The heading's words change with the language: the indicator is found by its place.)
    return { call, protection: rita.locator('.call h2 .leg-media') };
  };

  /** Hangs up on the page; the phone hears it and the desk is free for the next call. */
  const hangUp = async (caller: Baresip, call: { ended: boolean }) => {
    const closed = caller.events.length;
    await rita.getByRole('button', { name: /^(Hang up|Auflegen)/ }).click();
    await caller.event('CALL_CLOSED', () => true, closed);
    await until(() => call.ended && !gw.gateway.services.calls.isBusy(site.users.rita!.id), 'the call ends and the desk is free');
  };

  it('a caller over SRTP (SDES, over Portier\'s TLS registration): "encrypted (SRTP)", in German "verschlüsselt (SRTP)", while it rings and once answered', async () => {
    const alice = await phone('alice', 'alice-secret-1', true);
    const { call, protection } = await answered(alice, { en: '🔒 encrypted (SRTP)', de: '🔒 verschlüsselt (SRTP)', media: 'srtp' });
    await expect.poll(() => protection.textContent()).toBe('🔒 encrypted (SRTP)');
    expect(await protection.getAttribute('data-media')).toBe('srtp');
    expect(await protection.getAttribute('title')).toBe('Voice connection to the telephone system');
    // The leg really is SRTP: baresip offered RTP/SAVP only, Portier's relay speaks SRTP with it.
    const sip = [...gw.gateway.services.sipInbound.calls].find((c) => c.call?.id === call.id)!;
    expect(sip.relay!.media).toBe('srtp');
    await rita.getByRole('button', { name: 'Deutsch' }).click();
    await expect.poll(() => protection.textContent()).toBe('🔒 verschlüsselt (SRTP)');
    expect(await protection.getAttribute('title')).toBe('Sprachverbindung zur Telefonanlage');
    await rita.getByRole('button', { name: 'English' }).click();
    await hangUp(alice, call);
  });

  it('a caller in plain RTP (the account offers SRTP, the phone does not take it): "not encrypted (RTP)", in German "nicht verschlüsselt (RTP)", while it rings and once answered', async () => {
    const bob = await phone('bob', 'bob-secret-1', false);
    const { call, protection } = await answered(bob, { en: '🔓 not encrypted (RTP)', de: '🔓 nicht verschlüsselt (RTP)', media: 'rtp' });
    await expect.poll(() => protection.textContent()).toBe('🔓 not encrypted (RTP)');
    expect(await protection.getAttribute('data-media')).toBe('rtp');
    const sip = [...gw.gateway.services.sipInbound.calls].find((c) => c.call?.id === call.id)!;
    expect(sip.relay!.media).toBe('rtp');
    await rita.getByRole('button', { name: 'Deutsch' }).click();
    await expect.poll(() => protection.textContent()).toBe('🔓 nicht verschlüsselt (RTP)');
    await rita.getByRole('button', { name: 'English' }).click();
    await hangUp(bob, call);
  });
});
