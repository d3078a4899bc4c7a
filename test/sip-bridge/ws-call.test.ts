// SIP over WebSocket (RFC 7118) from a real gateway: accounts with transport ws
// and wss register with digest at Kamailio (its websocket module upgrading on a
// TCP port, and on its TLS port for WSS with the certificate from a throwaway CA
// named in sip.accounts[].tls.ca), the upgrade asks for the `sip` subprotocol on
// the path the registrar names; a terminal calls an extension Kamailio forwards to
// a sipp UAS over the WebSocket, audio flows both ways (G.711 RTP), the terminal
// hangs up with a BYE over the WebSocket. Peers start once for the file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Socket } from 'socket.io-client';
import { RtpCounter } from '../support/rtp-counter.ts';
import { callAnsweredOver, hangsUpOver, pcmaMic } from '../support/sip-call-files.ts';
import { startGateway } from '../support/gateway.ts';
import { seedSite, connect, type Gw, type SiteFixture } from '../support/signaling.ts';
import { Kamailio } from '../support/kamailio.ts';
import { Sipp } from '../support/sipp.ts';
import { TestCa } from '../support/test-ca.ts';
import type { SfuCallMedia } from '../../src/sfu/index.ts';
import { untilAccount as until } from './account-state.ts';

const DOMAIN = 'portier.test';
const SCENARIOS = join(import.meta.dirname, 'scenarios');
const RTP_PORTS = { min: 43400, max: 43499 };

describe('SIP over WebSocket (ws, wss) against Kamailio', () => {
  let ca: TestCa;
  let kamailio: Kamailio;
  let sipp: Sipp;
  let ear: RtpCounter;
  let gw: Gw;
  let site: SiteFixture;
  const entries: Record<string, string> = {};
  const open: Socket[] = [];
  const udp: RtpCounter[] = [];
  const timers: NodeJS.Timeout[] = [];

  beforeAll(async () => {
    ca = await TestCa.create('Portier test PBX CA');
    ear = new RtpCounter();
    sipp = await Sipp.uas(join(SCENARIOS, 'answer.xml'), { rtp_port: await ear.bind() });
    kamailio = await Kamailio.start({
      domain: DOMAIN, ws: true,
      tls: await ca.server('pbx.portier.test', { dns: ['pbx.portier.test'], ip: ['127.0.0.1'] }),
      users: [{ username: 'lobby', password: 'lobby-secret-1' }, { username: 'garden', password: 'garden-secret-2' }],
      forward: { answer: { host: '127.0.0.1', port: sipp.port } },
    });
    gw = await startGateway({
      PORTIER_SIP__BIND_ADDRESS: '127.0.0.1',
      PORTIER_SIP__RTP_PORT_MIN: String(RTP_PORTS.min),
      PORTIER_SIP__RTP_PORT_MAX: String(RTP_PORTS.max),
      PORTIER_SIP__ACCOUNTS: `[{id: pbx-ws, transport: ws, registrar: "127.0.0.1:${kamailio.wsPort}/sip", username: lobby, password: lobby-secret-1, domain: ${DOMAIN}},`
        + ` {id: pbx-wss, transport: wss, registrar: "127.0.0.1:${kamailio.tlsPort}/wss", username: garden, password: garden-secret-2, domain: ${DOMAIN},`
        + ` tls: {ca: "${ca.cert}", server_name: pbx.portier.test}}]`,
    });
    site = await seedSite(gw);
    for (const account of ['pbx-ws', 'pbx-wss']) {
      const res = await site.admin.post('/api/sites/hq/phonebook', {
        kind: 'person', name: `Phone over ${account}`, routes: [{ type: 'sip', accountId: account, user: 'answer' }], policy: { legTimeoutS: 120, capS: 300 },
      });
      expect(res.status).toBe(201);
      entries[account] = res.body.id;
    }
  });

  afterAll(async () => {
    timers.forEach((t) => clearInterval(t));
    open.forEach((s) => s.close());
    await gw?.close();
    await kamailio?.close();
    await sipp?.close();
    for (const c of [ear, ...udp]) c?.close();
    ca?.close();
  });

  it('registers over WS and over WSS: the upgrade asks for the sip subprotocol on the registrar\'s path, REGISTER travels as proto ws / wss', async () => {
    const sip = gw.gateway.services.sip;
    expect(await until(sip.account('pbx-ws')!, (s) => s.state === 'registered')).toMatchObject({ transport: 'ws', secure: false });
    expect(await until(sip.account('pbx-wss')!, (s) => s.state === 'registered')).toMatchObject({ transport: 'wss', secure: true });
    const upgrades = kamailio.log.split('\n').filter((l) => l.includes('portier-test-ws: '));
    // The HTTP upgrade arrives as proto tcp (WS) and tls (WSS): the connection's, before it becomes a WebSocket.
    expect(upgrades.some((l) => /GET \/sip upgrade websocket protocol sip proto tcp$/.test(l))).toBe(true);
    expect(upgrades.some((l) => /GET \/wss upgrade websocket protocol sip proto tls$/.test(l))).toBe(true);
    const registers = kamailio.requests('REGISTER');
    expect(registers.some((l) => l.includes('sip:lobby@') && l.endsWith('proto ws'))).toBe(true);
    expect(registers.some((l) => l.includes('sip:garden@') && l.endsWith('proto wss'))).toBe(true);
  });

  for (const account of ['pbx-ws', 'pbx-wss'] as const) {
    const proto = account === 'pbx-ws' ? 'ws' : 'wss';
    it(`a terminal calls an extension over ${proto.toUpperCase()}: INVITE and BYE travel over the WebSocket, audio flows both ways`, async () => {
      const terminal = await connect(gw, '/terminal', site.terminal.cookie);
      open.push(terminal);
      const callId = await callAnsweredOver(terminal, kamailio, entries[account]!, proto);

      const call = gw.gateway.services.calls.get(callId);
      const phone = call.participants.find((p) => p.kind === 'sip')!;
      const { mic, hear, stop } = await pcmaMic(call.media as SfuCallMedia, site.terminal.id, 0x5eed, { timers, counters: udp });
      await hear((id) => id === phone.id);
      // The UAS's RTP socket hears this call's packets (it counted the first call's too), the terminal's hears the UAS.
      const heard = ear.count(8);
      await ear.reach(8, heard + 25);
      await mic.reach(8, 25);
      stop();

      await hangsUpOver(terminal, kamailio, callId, proto);
      terminal.close();
    }, 180_000);
  }
});
