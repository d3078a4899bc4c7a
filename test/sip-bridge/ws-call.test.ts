// SIP over WebSocket (RFC 7118) from a real gateway: accounts with transport ws
// and wss register with digest at Kamailio (its websocket module upgrading on a
// TCP port, and on its TLS port for WSS with the certificate from a throwaway CA
// named in sip.accounts[].tls.ca), the upgrade asks for the `sip` subprotocol on
// the path the registrar names; a terminal calls an extension Kamailio forwards to
// a sipp UAS over the WebSocket, audio flows both ways (G.711 RTP), the terminal
// hangs up with a BYE over the WebSocket. Peers start once for the file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callAnsweredOver, hangsUpOver } from '../support/sip-call-files.ts';
import { SecureSipCalls, DOMAIN } from '../support/secure-sip-calls.ts';
import { connect, type Gw, type SiteFixture } from '../support/signaling.ts';
import type { Kamailio } from '../support/kamailio.ts';
import { untilAccount as until } from './account-state.ts';

describe('SIP over WebSocket (ws, wss) against Kamailio', () => {
  let kamailio: Kamailio;
  let gw: Gw;
  let site: SiteFixture;
  const calls = new SecureSipCalls();
  const { open, entries } = calls;

  beforeAll(async () => {
    await calls.start({
      rtpPorts: { min: 43400, max: 43499 },
      kamailio: { ws: true, users: [{ username: 'lobby', password: 'lobby-secret-1' }, { username: 'garden', password: 'garden-secret-2' }] },
      accounts: (k, ca) => `[{id: pbx-ws, transport: ws, registrar: "127.0.0.1:${k.wsPort}/sip", username: lobby, password: lobby-secret-1, domain: ${DOMAIN}},`
        + ` {id: pbx-wss, transport: wss, registrar: "127.0.0.1:${k.tlsPort}/wss", username: garden, password: garden-secret-2, domain: ${DOMAIN},`
        + ` tls: {ca: "${ca.cert}", server_name: pbx.portier.test}}]`,
      entries: { 'pbx-ws': 'Phone over pbx-ws', 'pbx-wss': 'Phone over pbx-wss' },
    });
    ({ gw, site, kamailio } = calls as Required<SecureSipCalls>);
  });

  afterAll(() => calls.close());

  it('registers over WS and over WSS: the upgrade asks for the sip subprotocol on the registrar\'s path, REGISTER travels as proto ws / wss', async () => {
    const sip = gw.gateway.services.sip;
    expect(await until(sip.account('pbx-ws')!, (s) => s.state === 'registered')).toMatchObject({ transport: 'ws', secure: false });
    expect(await until(sip.account('pbx-wss')!, (s) => s.state === 'registered')).toMatchObject({ transport: 'wss', secure: true });
    const wsLines = () => kamailio.log.split('\n').filter((l) => l.includes('portier-test-ws: '));
    const registered = (user: string, proto: string) => kamailio.requests('REGISTER').some((l) => l.includes(`sip:${user}@`) && l.endsWith(`proto ${proto}`));
    await kamailio.seen(() => wsLines().some((l) => l.includes('GET /sip ')) && wsLines().some((l) => l.includes('GET /wss ')) && registered('lobby', 'ws') && registered('garden', 'wss'));
    const upgrades = wsLines();
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
      // The UAS's RTP socket hears this call's packets (it counted the first call's too), the terminal's hears the UAS.
      await calls.audioBothWays(callId);

      await hangsUpOver(terminal, kamailio, callId, proto);
      terminal.close();
    }, 180_000);
  }
});
