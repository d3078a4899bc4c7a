// An outbound call over SIP/TLS from a real gateway: the account registers with
// digest at Kamailio's TLS port (its certificate from a throwaway CA named in
// sip.accounts[].tls.ca), a terminal calls an extension Kamailio forwards to a
// sipp UAS, audio flows both ways (G.711 RTP), the terminal hangs up with a BYE
// over TLS. A second account whose CA does not sign Kamailio's certificate fails
// with reason tls, and /ready says so. Peers start once for the file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callAnsweredOver, hangsUpOver } from '../support/sip-call-files.ts';
import { SecureSipCalls, DOMAIN } from '../support/secure-sip-calls.ts';
import { connect, type Gw, type SiteFixture } from '../support/signaling.ts';
import type { Kamailio } from '../support/kamailio.ts';
import { TestCa } from '../support/test-ca.ts';
import { untilAccount as until } from './account-state.ts';

describe('outbound SIP call over TLS', () => {
  let rogue: TestCa;
  let kamailio: Kamailio;
  let gw: Gw;
  let site: SiteFixture;
  const calls = new SecureSipCalls();
  const { open } = calls;

  beforeAll(async () => {
    rogue = await TestCa.create('Someone else');
    await calls.start({
      rtpPorts: { min: 43300, max: 43399 },
      kamailio: { users: [{ username: 'lobby', password: 'lobby-secret-1' }, { username: 'rogue', password: 'rogue-secret-2' }] },
      accounts: (k, ca) => `[{id: pbx, transport: tls, registrar: "127.0.0.1:${k.tlsPort}", username: lobby, password: lobby-secret-1, domain: ${DOMAIN},`
        + ` tls: {ca: "${ca.cert}", server_name: pbx.portier.test}},`
        + ` {id: rogue, transport: tls, registrar: "127.0.0.1:${k.tlsPort}", username: rogue, password: rogue-secret-2, domain: ${DOMAIN}, tls: {ca: "${rogue.cert}"}}]`,
      entries: { pbx: 'Phone over TLS' },
    });
    ({ gw, site, kamailio } = calls as Required<SecureSipCalls>);
  });

  afterAll(async () => {
    await calls.close();
    rogue?.close();
  });

  it('registers over TLS; the account with an untrusted CA fails with reason tls and /ready says which', async () => {
    const sip = gw.gateway.services.sip;
    expect(await until(sip.account('pbx')!, (s) => s.state === 'registered')).toMatchObject({ transport: 'tls', secure: true });
    const failed = await until(sip.account('rogue')!, (s) => s.state === 'failed');
    expect(failed).toMatchObject({ reason: 'tls', transport: 'tls' });
    const ready = await (await fetch(`${gw.base}/ready`)).json();
    expect(ready.components.sip.state).toBe('degraded');
    const detail = await site.admin.get('/ready');
    expect(detail.body.components.sip.accounts).toEqual(expect.arrayContaining([
      expect.objectContaining({ id: 'pbx', state: 'registered', transport: 'tls', secure: true }),
      expect.objectContaining({ id: 'rogue', state: 'failed', reason: 'tls', phrase: failed.phrase }),
    ]));
  });

  it('a terminal calls an extension over TLS: INVITE and BYE travel over TLS, audio flows both ways', async () => {
    const terminal = await connect(gw, '/terminal', site.terminal.cookie);
    open.push(terminal);
    const absorbedBefore = kamailio.absorbedAcks().length;
    const acksBefore = kamailio.requests('ACK').length;
    const callId = await callAnsweredOver(terminal, kamailio, calls.entries.pbx!, 'tls');
    await calls.audioBothWays(callId);

    await hangsUpOver(terminal, kamailio, callId, 'tls');
    // The ACK of Kamailio's 407 went where the INVITE went (Kamailio, over the TLS connection).
    // Before, it was routed by its Request-URI (sip:answer@portier.test): a lookup that failed, and when it failed
    // before Kamailio's 100 for the authenticated INVITE, sip.js ended the call with a local 503 (every second run).
    // Kamailio's sl module absorbs an ACK of its own reply within 2 s of its latest stateless reply (the fixture logs it
    // as it does); a later one (a loaded machine) goes through the script, which logs it: once either way. Not sl's
    // received_ACKs: Kamailio sums it at most once a second, so a read within that second missed the ACK (Kamailio.absorbedAcks).
    // The 200's ACK goes through the script too, but to the UAS's Contact, never the INVITE's Request-URI.
    const acks = [...kamailio.absorbedAcks().slice(absorbedBefore), ...kamailio.requests('ACK').slice(acksBefore)]
      .filter((l) => l.includes(`ACK sip:answer@${DOMAIN} from `));
    expect(acks).toHaveLength(1);
    expect(acks[0]).toMatch(/proto tls$/);
  }, 180_000);
});
