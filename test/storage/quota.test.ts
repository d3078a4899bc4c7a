// The storage quota: measured from data_dir's files, a warning at warn_percent,
// growing writes refused 507 insufficient-storage at 100 % in a real gateway.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StorageQuota, InsufficientStorageError, type StorageUsage } from '../../src/storage/index.ts';
import type { ApiClient } from '../support/gateway.ts';
import type { Gw } from '../support/signaling.ts';
import { gatewayWithAdmin } from '../support/gateway-hooks.ts';
import { GROWING_WRITES, NOT_GROWING_WRITES } from '../../src/http/routes/storage-routes.ts';
import { ManualClock } from '../support/manual-clock.ts';

describe('storage quota', () => {
  const dirs: string[] = [];
  afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

  it('counts a database with its -wal and an uploads directory, warns at warn_percent and is full at 100 %', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portier-quota-'));
    dirs.push(dir);
    const db = join(dir, 'portier.db');
    writeFileSync(db, Buffer.alloc(500));
    const quota = new StorageQuota({ quotaBytes: 1000, warnPercent: 80, checkEveryMs: 60_000, paths: [db, join(dir, 'uploads')] }, new ManualClock());
    const levels: StorageUsage[] = [];
    quota.on('level', (u) => levels.push(u));
    expect(quota.usage()).toMatchObject({ usedBytes: 500, percent: 50, level: 'ok' });
    quota.assertRoom();

    writeFileSync(`${db}-wal`, Buffer.alloc(300));
    expect(quota.measure()).toMatchObject({ usedBytes: 800, percent: 80, level: 'warning' });
    quota.assertRoom();

    mkdirSync(join(dir, 'uploads'));
    writeFileSync(join(dir, 'uploads', 'logo.png'), Buffer.alloc(200));
    expect(quota.measure()).toMatchObject({ usedBytes: 1000, level: 'full' });
    expect(() => quota.assertRoom()).toThrow(InsufficientStorageError);

    // Space freed: the next write is measured afresh and allowed.
    rmSync(`${db}-wal`);
    quota.assertRoom();
    expect(levels.map((u) => u.level)).toEqual(['warning', 'full', 'ok']);
    quota.close();
  });

  it('measures every checkEveryMs on the injected clock, with one timer however often it is started, and none after close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portier-quota-'));
    dirs.push(dir);
    const db = join(dir, 'portier.db');
    writeFileSync(db, Buffer.alloc(500));
    const clock = new ManualClock();
    const quota = new StorageQuota({ quotaBytes: 1000, warnPercent: 80, checkEveryMs: 60_000, paths: [db] }, clock);
    try {
      const levels: string[] = [];
      quota.on('level', (u) => levels.push(u.level));
      quota.start();
      quota.start();
      expect(clock.pending).toBe(1);
      writeFileSync(`${db}-wal`, Buffer.alloc(300));
      await clock.advance(59_999);
      expect(levels).toEqual([]);
      await clock.advance(1);
      expect(levels).toEqual(['warning']);
      expect(clock.pending).toBe(1);
      writeFileSync(`${db}-wal`, Buffer.alloc(600));
      await clock.advance(60_000);
      expect(levels).toEqual(['warning', 'full']);
    } finally {
      quota.close();
    }
    expect(clock.pending).toBe(0);
  });
});

describe('storage quota in a gateway', () => {
  let gw: Gw;
  let admin: ApiClient;
  // 1 kB: the fresh store alone is larger, so the quota is used up from the start.
  gatewayWithAdmin({ PORTIER_STORAGE__QUOTA_GB: '0.000001' }, (g, a) => { gw = g; admin = a; });

  it('shows the usage to admins in /ready and GET /api/storage, and to nobody else', async () => {
    const ready = await admin.get('/ready');
    expect(ready.body.components.storage).toMatchObject({ state: 'ready', level: 'full', quotaBytes: 1000 });
    expect(ready.body.components.storage.usedBytes).toBeGreaterThan(1000);
    const storage = await admin.get('/api/storage');
    expect(storage.status).toBe(200);
    expect(storage.body).toMatchObject({ level: 'full', quotaBytes: 1000 });
    expect(Object.keys(storage.body.files)).toContain(join(gw.dataDir, 'portier.db'));
    const anonymous = await fetch(`${gw.base}/api/storage`);
    expect(anonymous.status).toBe(401);
  });

  it('refuses writes that grow the data with 507 insufficient-storage, after authentication, and keeps reads going', async () => {
    const site = await admin.post('/api/sites', { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' });
    expect(site.status).toBe(507);
    expect(site.body).toMatchObject({ error: 'insufficient-storage', reason: 'storage.quota', params: { quotaMb: 0 } });
    const user = await admin.post('/api/users', { login: 'anna', displayName: 'Anna', password: 'a long password 123' });
    expect(user.status).toBe(507);
    const anonymous = await fetch(`${gw.base}/api/users`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'anna', displayName: 'Anna', password: 'a long password 123' }) });
    expect(anonymous.status).toBe(401);
    expect((await admin.get('/api/sites')).status).toBe(200);
  });

  it('classifies every write route of the API as growing the data or not, so a new one cannot be forgotten', async () => {
    const doc = (await admin.get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const writes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops)
      .filter((m) => ['post', 'put', 'patch'].includes(m))
      .map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`));
    expect(writes.length).toBeGreaterThan(20);
    expect(writes.filter((w) => !GROWING_WRITES.has(w) && !NOT_GROWING_WRITES.has(w))).toEqual([]);
  });

  it('refuses phone-book imports, logo and photo uploads with 507 and stores nothing', async () => {
    // The site is made inside (the HTTP route is itself refused at a full quota).
    await gw.gateway.services.sites.create({ type: 'system', id: null }, { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' });
    const imported = await admin.post('/api/sites/hq/phonebook/import', { csv: 'name,department\nAnna Berg,Sales\n' });
    expect(imported.status).toBe(507);
    expect(imported.body.error).toBe('insufficient-storage');
    expect((await admin.get('/api/sites/hq/phonebook')).body).toEqual([]);
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    const logo = await fetch(`${gw.base}/api/sites/hq/welcome/logo`, { method: 'PUT', headers: { 'content-type': 'image/png', cookie: admin.cookie! }, body: png });
    expect(logo.status).toBe(507);
    expect((await admin.get('/api/sites/hq/welcome/logo')).status).toBe(404);
    // A phone-book entry's photo is an upload too (the entry made inside, like the site).
    const [entry] = await gw.gateway.services.phonebook.upsertMany({ type: 'system', id: null }, [
      { siteId: 'hq', kind: 'person', name: 'Anna Berg', department: null, routes: [{ type: 'desk-group', roleId: 'reception' }] },
    ]);
    const photo = await fetch(`${gw.base}/api/phonebook/${entry!.id}/photo`, { method: 'PUT', headers: { 'content-type': 'image/png', cookie: admin.cookie! }, body: png });
    expect(photo.status).toBe(507);
    expect((await admin.get(`/api/phonebook/${entry!.id}/photo`)).status).toBe(404);
  });
});
