// The call-flow integration tests' gateway: started with the seeded site before the tests of a block,
// with clients whose call events are recorded (kept out of signaling.ts, which the benches import
// outside the test runner).
import { afterAll, beforeAll } from 'vitest';
import { startGateway } from './gateway.ts';
import { callEventClients, seedSite, type Gw, type SiteFixture } from './signaling.ts';

/**
 * A gateway with the seeded site (seedSite), started before the tests of the calling block and handed
 * to `take`, with callEventClients on it and the count of its SFU routers; clients and gateway closed
 * after the tests.
 */
export function callEventGateway(take: (gw: Gw, site: SiteFixture) => void) {
  let gw: Gw | undefined;
  const { client, seen, closeAll } = callEventClients(() => gw!);
  beforeAll(async () => {
    gw = await startGateway();
    take(gw, await seedSite(gw));
  });
  afterAll(async () => {
    closeAll();
    await gw?.close();
  });
  return { client, seen, routers: () => gw!.gateway.services.sfu.status().reduce((n, w) => n + w.routers, 0) };
}
