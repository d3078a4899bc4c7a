// Inbound call → desk rings: a PBX played by Node UDP sockets calls a number of
// Portier's SIP account (its INVITE challenged with 401, sent again with the
// digest answer), the number's phone-book entry rings the reception's desk
// (socket.io). Measured: the authenticated INVITE leaving the PBX → call.ring at
// the desk, and → the 180 back at the PBX; then the PBX cancels (487) and calls
// again. Gateway in this process (the numbers name phone-book entries: seeded
// first, then the gateway restarts on the same data with the inbound config).
// Prints p50/p99 JSON.
// Usage: node scripts/run.mjs node bench/sip-inbound-ring.ts [--smoke]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway } from '../test/support/gateway.ts';
import { seedSite, connect } from '../test/support/signaling.ts';
import { Kamailio } from '../test/support/kamailio.ts';
import { SipCaller } from './sip-caller.ts';
import { summary, smoke, print } from './lib.ts';

const CALLS = smoke ? 5 : 200;
const TRUNK = { user: 'pbx-in', password: 'trunk-secret-7' };
const pbx = await SipCaller.open();

const dataDir = mkdtempSync(join(tmpdir(), 'portier-bench-inbound-'));
const kamailio = await Kamailio.start({ domain: 'portier.test', users: [{ username: 'lobby', password: 'lobby-secret-1' }] });
const seeding = await startGateway({ PORTIER_DATA_DIR: dataDir });
const site = await seedSite(seeding);
await seeding.close();
const gw = await startGateway({
  PORTIER_DATA_DIR: dataDir, PORTIER_SIP__BIND_ADDRESS: '127.0.0.1',
  // One PBX placing hundreds of calls: above a scanner's rate limit.
  PORTIER_SIP__INBOUND__RATE_PER_MINUTE: '100000', PORTIER_SIP__INBOUND__BURST: '100000',
  PORTIER_SIP__ACCOUNTS: `[{id: pbx, registrar: "127.0.0.1:${kamailio.port}", username: lobby, password: lobby-secret-1, domain: portier.test, `
    + `inbound: {username: ${TRUNK.user}, password: ${TRUNK.password}, numbers: [{number: "4700", entry: "${site.entries['Empfang']}"}]}}]`,
});
const rita = await connect(gw, '/desk', site.users.rita!.cookie);
try {
  const { toRing, to180 } = await pbx.rings({
    port: gw.gateway.services.sip.account('pbx')!.transport!.port, user: '4700', from: { name: 'Reception', user: '7001' }, auth: TRUNK, desk: rita,
  }, CALLS);
  print({
    bench: 'sip-inbound-ring', calls: CALLS,
    note: 'loopback, gateway in this process; authenticated INVITE (after its 401) leaving the PBX → call.ring at the desk (socket.io) and → 180 Ringing at the PBX; each call cancelled before the next',
    invite_to_desk_ring_ms: summary(toRing), invite_to_180_ms: summary(to180),
  });
} finally {
  rita.close();
  await gw.close();
  await kamailio.close();
  pbx.close();
  rmSync(dataDir, { recursive: true, force: true });
}
