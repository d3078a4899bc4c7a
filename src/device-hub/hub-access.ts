// Who may hold a broker connection besides devices, and what ends one: an API
// token with device.admin on every site connects read-only as an integration; a
// revoked or rotated credential's connection ends (a revoked one's session too).
import type { Credential } from '../credentials/index.ts';
import type { Broker, IntegrationLookup } from './broker.ts';
import type { Devices } from './devices.ts';
import type { DeviceHubDeps } from './hub-parts.ts';

export function integrationLookup(deps: Pick<DeviceHubDeps, 'roles' | 'credentials'>): IntegrationLookup {
  return async (username, secret) => {
    const roles = deps.roles;
    if (!roles) return undefined;
    const credential = await deps.credentials.verify(secret);
    if (!credential || credential.kind !== 'api-token' || username !== credential.id) return undefined;
    if (!(await roles.can({ type: 'credential', id: credential.id }, 'device.admin'))) return undefined;
    return { id: credential.id, kind: 'integration', siteId: '*', doorId: null };
  };
}

export function endSessionsOf(broker: Broker, devices: Devices): (credential: Credential, why: 'revoked' | 'rotated') => void {
  const end = (id: string, why: string) => {
    broker.disconnect(id, why);
    if (why === 'revoked') broker.forgetSession(id);
  };
  return (credential, why) => {
    if (credential.kind === 'api-token') return end(credential.id, why);
    if (credential.kind !== 'device') return;
    void devices.byCredential(credential.id).then((device) => { if (device) end(device.id, why); });
  };
}
