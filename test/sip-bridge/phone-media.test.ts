// The desk learns whether the telephone in its call is encrypted, over a real
// SRTP leg: Portier registered at Kamailio over TLS (srtp: offer), a real UA —
// baresip with its srtp module and mediaenc=srtp-mand, registered there as
// `alice` — dials Portier's AOR; Kamailio looks Portier up and relays the INVITE
// (RTP/SAVP, a=crypto) over Portier's TLS connection; the reception's desk rings
// with terminal.media 'srtp' (the offer says it) and its answer's ack says it too. The page showing it, in
// Chromium: test/e2e/sip-srtp-desk.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'socket.io-client';
import { startSeededSipGateway } from '../support/sip-gateway.ts';
import { connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';
import { Kamailio } from '../support/kamailio.ts';
import { Baresip } from '../support/baresip.ts';
import { TestCa } from '../support/test-ca.ts';
import { until } from '../support/call-flow.ts';
import { untilAccount } from './account-state.ts';
import { Value } from '@sinclair/typebox/value';
import { DeskServerEvents } from '../../src/signaling/index.ts';

const DOMAIN = 'portier.test';

describe('a caller over SRTP: the desk is told its leg is encrypted', () => {
  let ca: TestCa;
  let kamailio: Kamailio;
  let gw: Gw;
  let site: SiteFixture;
  let dataDir: string;
  let alice: Baresip;
  const open: Socket[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'portier-phone-media-'));
    ca = await TestCa.create('Portier test PBX CA');
    kamailio = await Kamailio.start({
      domain: DOMAIN, lookup: true,
      tls: await ca.server('pbx.portier.test', { dns: ['pbx.portier.test'], ip: ['127.0.0.1'] }),
      users: [{ username: 'lobby', password: 'lobby-secret-1' }, { username: 'alice', password: 'alice-secret-1' }],
    });
    ({ gw, site } = await startSeededSipGateway(dataDir, (site) => `[{id: pbx, transport: tls, srtp: offer, registrar: "127.0.0.1:${kamailio.tlsPort}", username: lobby, password: lobby-secret-1, domain: ${DOMAIN}, `
      + `tls: {ca: "${ca.cert}", server_name: pbx.portier.test}, `
      + `inbound: {username: pbx-in, password: trunk-secret-7, trust_registrar: true, numbers: [{number: "lobby", entry: "${site.entries['Empfang']}"}]}}]`));
    await untilAccount(gw.gateway.services.sip.account('pbx')!, (s) => s.state === 'registered');
    alice = await Baresip.start({
      aor: `sip:alice@${DOMAIN}`, srtp: true,
      accountParams: { auth_pass: 'alice-secret-1', outbound: `"sip:127.0.0.1:${kamailio.port};lr"`, regint: 600, mediaenc: 'srtp-mand' },
    });
    await until(() => alice.output.includes('alice@portier.test: {0/UDP/v4} 200 OK'), 'alice is registered at Kamailio');
  }, 120_000);

  afterAll(async () => {
    open.forEach((s) => s.close());
    await alice?.close();
    await gw?.close();
    await kamailio?.close();
    ca?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('baresip\'s RTP/SAVP offer reaches Portier over TLS; the desk\'s ring and answer ack say terminal.media srtp', async () => {
    const rita = await connect(gw, '/desk', site.users.rita!.cookie);
    open.push(rita);
    const ringing = next(rita, 'call.ring', () => true, 30_000);
    await alice.command('dial', `sip:lobby@${DOMAIN}`);
    const ring = await ringing;
    // The ring says it already: the INVITE's offer settled it.
    expect(ring.terminal.media).toBe('srtp');
    expect(Value.Check(DeskServerEvents['call.ring'], ring)).toBe(true);
    // baresip offered SRTP only (RTP/SAVP with its key), and Kamailio relayed it to Portier's TLS binding.
    await kamailio.seen(() => kamailio.sdp().some((l) => l.startsWith('INVITE proto udp ')));
    expect(kamailio.sdp().some((l) => /^INVITE proto udp m=audio \d+ RTP\/SAVP .*a=crypto:\d+ AES_CM_128_HMAC_SHA1_(80|32) inline:/.test(l)), kamailio.sdp().join('\n')).toBe(true);
    const answered = await ack(rita, 'call.answer', { callId: ring.callId });
    expect(answered).toMatchObject({ ok: true, terminal: { name: 'alice', media: 'srtp' } });
    await alice.event('CALL_ESTABLISHED');
    const call = gw.gateway.services.calls.get(ring.callId);
    const phone = call.participants.find((p) => p.kind === 'sip')!;
    expect(phone.media).toBe('srtp');
    const sip = [...gw.gateway.services.sipInbound.calls].find((c) => c.participantId === phone.id)!;
    expect(sip.media).toBe('srtp');
    expect(sip.relay!.media).toBe('srtp');
    expect(await ack(rita, 'call.hangup', { callId: ring.callId })).toMatchObject({ ok: true });
    await alice.event('CALL_CLOSED');
    await until(() => call.ended, 'the call ends');
  }, 120_000);
});
