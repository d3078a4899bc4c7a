// Door stations over TCP and TLS (issue 13, slice 4): a real baresip registers as a
// station made in the admin API over Portier's TCP listener, and over its TLS
// listener (Portier's own certificate: the one HTTPS presents), dials, the call rings
// the site's reception, the reception answers, and Open door reaches baresip as SIP
// INFO DTMF over the station's own connection (Portier opens none to the station's
// Contact: one connection stays open); the admin API says which transport the
// station registered over. When the station's connection drops (baresip killed:
// the kernel closes its socket), the binding goes at once (offline, connection-lost).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect as tlsConnect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'socket.io-client';
import { startGateway } from '../support/gateway.ts';
import { seedSite, connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';
import { Baresip } from '../support/baresip.ts';
import { until } from '../support/call-flow.ts';

describe('door stations over TCP and TLS', () => {
  let gw: Gw;
  let site: SiteFixture;
  let rita: Socket;
  let dir: string;
  let cafile: string;

  beforeAll(async () => {
    gw = await startGateway({
      PORTIER_SIP__BIND_ADDRESS: '127.0.0.1', PORTIER_SIP__STATIONS__ENABLED: 'true', PORTIER_SIP__STATIONS__PORT: '0',
      PORTIER_SIP__STATIONS__TRANSPORTS: '[udp, tcp, tls]', PORTIER_SIP__STATIONS__TCP_PORT: '0', PORTIER_SIP__STATIONS__TLS_PORT: '0',
    });
    site = await seedSite(gw);
    dir = mkdtempSync(join(tmpdir(), 'portier-station-tls-'));
    cafile = join(dir, 'ca.pem');
    writeFileSync(cafile, gw.gateway.services.tls.material.ca ?? gw.gateway.services.tls.material.cert);
    rita = await connect(gw, '/desk', site.users.rita!.cookie);
  }, 120_000);
  afterAll(async () => {
    rita?.close();
    await gw?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the TLS listener presents Portier\'s own certificate, verified by its CA', async () => {
    const endpoint = gw.gateway.services.stationEndpoint!;
    const socket = tlsConnect({ host: '127.0.0.1', port: endpoint.portOf('tls'), ca: gw.gateway.services.tls.material.ca, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => { socket.once('secureConnect', resolve); socket.once('error', reject); });
    try {
      expect(socket.authorized).toBe(true);
      expect(socket.getPeerX509Certificate()?.fingerprint256).toBe(new X509Certificate(gw.gateway.services.tls.material.cert).fingerprint256);
    } finally {
      socket.destroy();
    }
  });

  for (const transport of ['tcp', 'tls'] as const) {
    it(`over ${transport.toUpperCase()}: registers, rings the reception, Open door reaches the station over its connection; a dropped connection ends the binding`, async () => {
      const endpoint = gw.gateway.services.stationEndpoint!;
      const registrar = endpoint.registrar;
      const port = endpoint.portOf(transport);
      const user = `door-${transport}`;
      const made = (await site.admin.post('/api/sites/hq/door-stations', { name: `Tor ${transport}`, sipUser: user, doorId: site.doorId, relay: { way: 'sip-info', code: '*1' } })).body as { station: { id: string }; secret: string };
      const online = new Promise<void>((resolve) => registrar.on('online', (b) => { if (b.stationId === made.station.id) resolve(); }));
      const station = await Baresip.start({
        aor: `sip:${user}@127.0.0.1:${port};transport=${transport}`, accountParams: { auth_pass: made.secret, regint: 300, audio_codecs: 'PCMA' },
        ...(transport === 'tls' ? { cafile } : {}),
      });
      try {
        await online;
        expect(registrar.binding(made.station.id)?.transport).toBe(transport);
        const listed = (await site.admin.get('/api/sites/hq/door-stations')).body as Array<{ id: string; registration: { online: boolean; transport?: string } }>;
        expect(listed.find((s) => s.id === made.station.id)?.registration).toMatchObject({ online: true, transport });

        const ring = next<{ callId: string; hasDoor: boolean; terminal: { name: string } }>(rita, 'call.ring', () => true, 30_000);
        expect((await station.command('dial', `sip:door@127.0.0.1:${port};transport=${transport}`)).ok).toBe(true);
        const rung = await ring;
        expect(rung.hasDoor).toBe(true);
        expect(rung.terminal.name).toContain(user);
        const inbound = [...gw.gateway.services.sipInbound.calls].find((c) => c.stationId === made.station.id);
        expect(inbound).toBeDefined();
        await ack(rita, 'call.answer', { callId: rung.callId });
        await station.event('CALL_ESTABLISHED');

        const from = station.events.length;
        const opened = await ack(rita, 'door.open', { callId: rung.callId });
        expect(JSON.stringify(opened)).toContain('acknowledged');
        await until(() => station.events.slice(from).filter((e) => e.type === 'CALL_DTMF_START').length >= 2, 'baresip hears both keys');
        expect(station.events.slice(from).filter((e) => e.type === 'CALL_DTMF_START').map((e) => e.param)).toEqual(['*', '1']);
        // The INFO went over the station's own connection: Portier opened none to its Contact.
        expect((endpoint.status() as unknown as { connections: Record<string, number> }).connections[transport]).toBe(1);

        expect((await station.command('hangup')).ok).toBe(true);
        await until(() => gw.gateway.services.calls.activeCalls.length === 0, 'the call is over');

        // The station's connection drops (its process dies; the kernel closes the socket): the binding goes at once.
        const offline = new Promise<string>((resolve) => registrar.on('offline', (o) => { if (o.stationId === made.station.id) resolve(o.why); }));
        await station.kill();
        expect(await offline).toBe('connection-lost');
        expect(registrar.binding(made.station.id)).toBeUndefined();
      } finally {
        await station.close();
      }
    }, 90_000);
  }
});
