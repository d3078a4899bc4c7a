// Door station button → desk rings: a door station played by a Node UDP socket
// (made in the admin API, so Portier is its registrar) sends the INVITE its button
// sends, challenged with 401 and sent again with the station's digest answer; the
// call rings the site's reception desk (socket.io). Measured: the authenticated
// INVITE leaving the station → call.ring at the desk, and → the 180 back at the
// station; then the station cancels (487) and presses again. Gateway in this
// process. Prints p50/p99 JSON.
// Usage: node scripts/run.mjs node bench/sip-station-ring.ts [--smoke]
import { startGateway } from '../test/support/gateway.ts';
import { seedSite, connect } from '../test/support/signaling.ts';
import { SipCaller } from './sip-caller.ts';
import { summary, smoke, print } from './lib.ts';

const CALLS = smoke ? 5 : 200;
const station = await SipCaller.open();

const gw = await startGateway({
  PORTIER_SIP__BIND_ADDRESS: '127.0.0.1', PORTIER_SIP__STATIONS__ENABLED: 'true', PORTIER_SIP__STATIONS__PORT: '0',
  // One station pressed hundreds of times: above a scanner's rate limit.
  PORTIER_SIP__INBOUND__RATE_PER_MINUTE: '100000', PORTIER_SIP__INBOUND__BURST: '100000',
});
const site = await seedSite(gw);
const made = (await site.admin.post('/api/sites/hq/door-stations', { name: 'Haupteingang', sipUser: 'door-hq', doorId: site.doorId, relay: { way: 'mqtt' } })).body as { secret: string };
const STATION = { user: 'door-hq', password: made.secret };
const rita = await connect(gw, '/desk', site.users.rita!.cookie);
try {
  const { toRing, to180 } = await station.rings({
    port: gw.gateway.services.stationEndpoint!.port, user: 'door', from: { name: 'Main entrance', user: STATION.user }, auth: STATION, desk: rita,
  }, CALLS);
  print({
    bench: 'sip-station-ring', calls: CALLS,
    note: 'loopback, gateway in this process; a door station\'s (made in the admin API, Portier its registrar) authenticated INVITE (after its 401) leaving the station → call.ring at the reception desk (socket.io) and → 180 Ringing at the station; each call cancelled before the next',
    button_to_desk_ring_ms: summary(toRing), button_to_180_ms: summary(to180),
  });
} finally {
  rita.close();
  await gw.close();
  station.close();
}
