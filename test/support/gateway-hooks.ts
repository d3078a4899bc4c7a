// Gateways started before the tests of a block and closed after them: with the first admin signed in
// (gatewayWithAdmin), or with the seeded site and clients whose call events are recorded
// (callEventGateway, the call-flow integration tests'). Kept out of gateway.ts and signaling.ts,
// which the benches import outside the test runner.
import { afterAll, beforeAll } from 'vitest';
import type { Clock } from '../../src/core/index.ts';
import { signInFirstAdmin, startGateway, type ApiClient } from './gateway.ts';
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

/**
 * A gateway (startGateway with `env` and `clock`) with its first admin signed in, started before the
 * tests of the calling block and handed to `take`; closed after them.
 */
export function gatewayWithAdmin(env: Record<string, string>, take: (gw: Gw, admin: ApiClient) => void, opts: { clock?: Clock } = {}): void {
  let gw: Gw | undefined;
  beforeAll(async () => {
    gw = await startGateway(env, opts);
    take(gw, await signInFirstAdmin(gw));
  });
  afterAll(async () => { await gw?.close(); });
}
