// Retention of the hub's records with fake time: settled door commands and
// expired visitor badges go after their configured days (audited with counts);
// pending commands, employee cards and badges still in their window stay.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHub, ManualClock, type HubFixture } from '../support/mqtt.ts';

const DAY = 86_400_000;

describe('device hub: retention', () => {
  let fx: HubFixture;
  let clock: ManualClock;
  beforeEach(async () => {
    clock = new ManualClock();
    fx = await startHub({ clock, settings: { retention: { commandDays: 30, visitorCardDays: 7 } } });
  });
  afterEach(async () => fx.close());

  const db = () => fx.svc.store.db.withTables<{
    door_commands: { id: string; door_id: string; site_id: string; action: string; seconds: number; issued_by_type: string; issued_by_id: string | null; correlation_id: string | null; created_at: number; expires_at: number; state: string; sends: number; settled_at: number | null };
    cards: { card_hash: string; kind: string };
  }>();
  const command = (id: string, settledAt: number | null) => ({
    id, door_id: fx.doorId, site_id: 'hq', action: 'unlock', seconds: 5, issued_by_type: 'system', issued_by_id: null, correlation_id: null,
    created_at: (settledAt ?? clock.now()) - 1_000, expires_at: clock.now() + 10_000, state: settledAt === null ? 'pending' : 'acknowledged', sends: 1, settled_at: settledAt,
  });
  const system = { type: 'system' as const, id: null };

  it('deletes settled commands and expired visitor badges past their days, keeps the rest, audits the counts', async () => {
    const now = clock.now();
    await db().insertInto('door_commands').values([
      command('old-settled', now - 31 * DAY), command('recent-settled', now - 29 * DAY), command('pending', null),
    ]).execute();
    await fx.hub.addCard(system, { siteId: 'hq', card: 'V-OLD', holderRef: 'visit-1', kind: 'visitor', validFrom: now - 20 * DAY, validUntil: now - 8 * DAY });
    await fx.hub.addCard(system, { siteId: 'hq', card: 'V-RECENT', holderRef: 'visit-2', kind: 'visitor', validFrom: now - 20 * DAY, validUntil: now - 6 * DAY });
    await fx.hub.addCard(system, { siteId: 'hq', card: 'E-1', holderRef: 'user-1', kind: 'employee', validFrom: now - 20 * DAY, validUntil: now - 8 * DAY });

    expect(await fx.hub.pruneExpired()).toEqual({ commands: 1, visitorCards: 1 });
    const left = (await db().selectFrom('door_commands').select('id').orderBy('id').execute()).map((r) => r.id);
    expect(left).toEqual(['pending', 'recent-settled']);
    expect((await fx.hub.listCards('hq')).map((c) => c.holderRef).sort()).toEqual(['user-1', 'visit-2']);
    const [entry] = await fx.svc.audit.list({ action: 'retention.prune' });
    expect(JSON.parse(entry!.details!)).toMatchObject({ commands: 1, visitorCards: 1, commandDays: 30, visitorCardDays: 7 });

    expect(await fx.hub.pruneExpired()).toEqual({ commands: 0, visitorCards: 0 });
    expect(await fx.svc.audit.list({ action: 'retention.prune' })).toHaveLength(1);
  });

  it('runs by itself every hour', async () => {
    for (const visit of ['visit-1', 'visit-2']) {
      // Ends 7 days minus 30 minutes before now: past its retention at the next hourly pass.
      const until = clock.now() - 7 * DAY + 30 * 60_000;
      await fx.hub.addCard(system, { siteId: 'hq', card: visit, holderRef: visit, kind: 'visitor', validFrom: until - DAY, validUntil: until });
      expect((await fx.hub.listCards('hq')).map((c) => c.holderRef)).toEqual([visit]);
      await clock.advance(3_600_000);
      await expect.poll(async () => (await fx.hub.listCards('hq')).length).toBe(0);
    }
  });
});
