// An account made through the admin API with codecs [opus, pcma] (no codecs in the
// config file: sip.codecs stays G.711) takes a call from a PBX that offers opus:
// sipp plays the PBX, offering PCMA, PCMU and opus at 107 (opus-scenario.ts), and
// the 200 answers opus at 107 with in-band FEC (sipp's checks); the reception's
// desk answers, the telephone's leg is opus, and the desk's opus reaches the PBX
// at 107 with its payload untouched (without the stored list the account would
// take sip.codecs, G.711, and answer PCMA).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/gateway.ts';
import { startSeededSipGateway } from '../support/sip-gateway.ts';
import { StartedPeers } from '../support/sip-call-files.ts';
import type { Gw, SiteFixture } from '../support/signaling.ts';
import { Kamailio } from '../support/kamailio.ts';
import type { SfuCallMedia } from '../../src/sfu/index.ts';
import { deskOpus, expectDeskOpusAtPbx, opusCallAnswered, opusScenario, ritaHangsUp } from './opus-scenario.ts';

const DOMAIN = 'portier.test';
const TRUNK = { user: 'pbx-in', password: 'trunk-secret-8' };

describe('an admin-made account with codecs [opus, pcma] called by a PBX that offers opus', () => {
  let kamailio: Kamailio;
  let gw: Gw;
  let site: SiteFixture;
  let scenario: string;
  const peers = new StartedPeers();

  beforeAll(async () => {
    scenario = opusScenario(peers.dir('portier-admin-opus-sipp-'));
    kamailio = await Kamailio.start({ domain: DOMAIN, users: [{ username: 'lobby', password: 'lobby-secret-1' }] });
    ({ gw, site } = await startSeededSipGateway(peers.dir('portier-admin-opus-'), () => '[]'));
    // The seeding gateway's admin session lives in the data dir; only the address is the new gateway's.
    const admin = new ApiClient(gw.base);
    admin.cookie = site.admin.cookie;
    const made = await admin.post('/api/sip-accounts', {
      id: 'pbx', registrar: `127.0.0.1:${kamailio.port}`, username: 'lobby', password: 'lobby-secret-1', domain: DOMAIN, codecs: ['opus', 'pcma'],
      inbound: { username: TRUNK.user, password: TRUNK.password, numbers: [{ number: '4700', entryId: site.entries['Empfang']! }] },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
  });

  afterAll(() => peers.close(gw, kamailio));

  it('is answered in opus at the PBX\'s payload type, and the desk\'s opus reaches the PBX untouched', async () => {
    expect(gw.gateway.services.sip.account('pbx')!.codecs).toEqual(['audio/opus', 'audio/PCMA']);
    const { rita, ear, sipp, call, phone } = await opusCallAnswered(gw, site, scenario, TRUNK, peers);
    expect(phone.audioCodec).toBe('audio/opus');

    // The desk's media, played by Node (opus at the router's own number), reaches the PBX at its 107 untouched.
    await deskOpus(call.media as SfuCallMedia, site.users.rita!.id, peers);
    await expectDeskOpusAtPbx(ear);

    await ritaHangsUp(rita, call.id);
    // sipp's checks of the 200 (opus at 107, its rtpmap and fmtp) held, and it answered the BYE.
    expect(await sipp.exited(), sipp.output.slice(0, 2000)).toBe(0);
  });
});
