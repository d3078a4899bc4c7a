// One credential service for terminals, devices and API tokens.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openServices, type Services } from '../support/services.ts';
import type { Credential } from '../../src/credentials/index.ts';

const admin = { type: 'user' as const, id: 'admin-1' };

describe('credentials', () => {
  let s: Services;
  beforeEach(async () => {
    s = await openServices();
    await s.sites.create(admin, { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' });
  });
  afterEach(async () => { await s.close(); });

  it('shows the secret once and stores only its hash', async () => {
    const { credential, secret } = await s.credentials.issue(admin, { kind: 'terminal', label: 'Lobby 1', siteId: 'hq' });
    const row = await s.store.db.selectFrom('credentials').selectAll().where('id', '=', credential.id).executeTakeFirstOrThrow();
    expect(row.secret_hash).not.toContain(secret.slice(-20));
    expect((await s.credentials.verify(secret))?.id).toBe(credential.id);
    expect(await s.credentials.verify(`${secret.slice(0, -1)}x`)).toBeUndefined();
    expect(await s.credentials.verify('garbage')).toBeUndefined();
  });

  it('emits the revocation event and refuses the credential afterwards', async () => {
    const { credential, secret } = await s.credentials.issue(admin, { kind: 'device', label: 'Reader', siteId: 'hq', attributes: { deviceKind: 'card-reader' } });
    const revoked: Credential[] = [];
    s.credentials.on('revoked', (c) => revoked.push(c));
    await s.credentials.revoke(admin, credential.id);
    expect(revoked.map((c) => c.id)).toEqual([credential.id]);
    expect(revoked[0]!.revokedAt).toBe(s.clock.now());
    expect(await s.credentials.verify(secret)).toBeUndefined();
    await expect(s.credentials.revoke(admin, credential.id)).rejects.toThrow(/no active credential/);
    expect((await s.audit.list({ action: 'credential.revoke' })).map((e) => e.target_id)).toEqual([credential.id]);
  });

  it('rotation replaces the secret: the old one stops working at once', async () => {
    const first = await s.credentials.issue(admin, { kind: 'api-token', label: 'HR sync' });
    const second = await s.credentials.rotate(admin, first.credential.id);
    expect(await s.credentials.verify(first.secret)).toBeUndefined();
    expect((await s.credentials.verify(second.secret))?.id).toBe(first.credential.id);
  });

  it('binds terminals and devices to a site and refuses a door of another site', async () => {
    await expect(s.credentials.issue(admin, { kind: 'terminal', label: 'x' })).rejects.toThrow(/belongs to a site/);
    await s.sites.create(admin, { id: 'lab', name: 'Lab', timeZone: 'Europe/Berlin' });
    const door = await s.sites.createDoor(admin, 'lab', 'Lab entrance');
    await expect(s.credentials.issue(admin, { kind: 'terminal', label: 'x', siteId: 'hq', doorId: door.id }))
      .rejects.toThrow(/door does not exist on that site/);
    const ok = await s.credentials.issue(admin, { kind: 'terminal', label: 'x', siteId: 'lab', doorId: door.id });
    expect(ok.credential.doorId).toBe(door.id);
  });
});
