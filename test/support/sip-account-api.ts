// What the admin-API tests of SIP accounts share (account-codecs, account-inbound,
// account-shadowed): a registrar that never answers, so that an account runs
// without ever registering, and an admin of one site only, whom the deployment-wide
// accounts refuse.
import { createSocket } from 'node:dgram';
import { expect } from 'vitest';
import { ApiClient } from './gateway.ts';
import { PASSWORD, type SiteFixture } from './signaling.ts';

/** A registrar nobody answers: a bound UDP socket on 127.0.0.1 (REGISTERs go nowhere, no ICMP refusal either). */
export interface SilentRegistrar {
  /** Its address as an account's `registrar` (host:port). */
  readonly registrar: string;
  close(): void;
}

export async function silentRegistrar(): Promise<SilentRegistrar> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { registrar: `127.0.0.1:${socket.address().port}`, close: () => socket.close() };
}

/**
 * `site.admin` makes the role hq-admin (site.admin) and the user hqadmin holding it at `siteId` only; that user,
 * signed in.
 */
export async function siteOnlyAdmin(gw: { base: string }, site: SiteFixture, siteId: string): Promise<ApiClient> {
  const role = await site.admin.post('/api/roles', { name: 'hq-admin', description: 'hq', permissions: ['site.admin'] });
  const user = await site.admin.post('/api/users', { login: 'hqadmin', displayName: 'HQ admin', password: PASSWORD });
  expect((await site.admin.post(`/api/users/${user.body.id}/roles`, { roleId: role.body.id, siteId })).status).toBe(200);
  const hqAdmin = new ApiClient(gw.base);
  expect((await hqAdmin.post('/api/auth/login', { login: 'hqadmin', password: PASSWORD })).status).toBe(200);
  return hqAdmin;
}
