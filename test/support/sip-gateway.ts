// A gateway whose SIP account names ids of a seeded site (an inbound number
// ringing the reception's entry, say): a first gateway seeds the site on
// `dataDir` and stops, then the real one starts on the same data with SIP bound
// to loopback and the accounts `accounts(site)` writes (PORTIER_SIP__ACCOUNTS).
import { startGateway } from './gateway.ts';
import { seedSite, type Gw, type SiteFixture } from './signaling.ts';

export async function startSeededSipGateway(dataDir: string, accounts: (site: SiteFixture) => string): Promise<{ gw: Gw; site: SiteFixture }> {
  const seeding = await startGateway({ PORTIER_DATA_DIR: dataDir });
  const site = await seedSite(seeding);
  await seeding.close();
  const gw = await startGateway({ PORTIER_DATA_DIR: dataDir, PORTIER_SIP__BIND_ADDRESS: '127.0.0.1', PORTIER_SIP__ACCOUNTS: accounts(site) });
  return { gw, site };
}
