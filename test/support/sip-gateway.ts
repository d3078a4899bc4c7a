// A gateway whose SIP account names ids of a seeded site (an inbound number
// ringing the reception's entry, say): a first gateway seeds the site on
// `dataDir` and stops, then the real one starts on the same data with SIP bound
// to loopback and the accounts `accounts(site)` writes (PORTIER_SIP__ACCOUNTS).
import { startGateway } from './gateway.ts';
import { seedSite, type Gw, type SiteFixture } from './signaling.ts';

/** `more`: further settings (env) and the gateway's options (its logger, the session timer's floor). */
export async function startSeededSipGateway(
  dataDir: string, accounts: (site: SiteFixture) => string,
  more: { env?: Record<string, string>; options?: Parameters<typeof startGateway>[1] } = {},
): Promise<{ gw: Gw; site: SiteFixture }> {
  const seeding = await startGateway({ PORTIER_DATA_DIR: dataDir });
  const site = await seedSite(seeding);
  await seeding.close();
  const gw = await startGateway({ PORTIER_DATA_DIR: dataDir, PORTIER_SIP__BIND_ADDRESS: '127.0.0.1', ...more.env, PORTIER_SIP__ACCOUNTS: accounts(site) }, more.options);
  return { gw, site };
}
