// The audit log is append-only: the store layer cannot change or delete entries.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openServices, type Services } from '../support/services.ts';

describe('audit log', () => {
  let s: Services;
  beforeEach(async () => { s = await openServices(); });
  afterEach(async () => { await s.close(); });

  it('records who did what with which outcome, newest first', async () => {
    await s.audit.append({ actor: { type: 'user', id: 'u1' }, action: 'door.open', target: { type: 'door', id: 'd1' }, outcome: 'ok', correlationId: 'call-1' });
    await s.audit.append({ actor: { type: 'system', id: null }, action: 'door.open', target: { type: 'door', id: 'd1' }, outcome: 'failed' });
    const entries = await s.audit.list({ action: 'door.open' });
    expect(entries.map((e) => e.outcome)).toEqual(['failed', 'ok']);
    expect(entries[1]).toMatchObject({ actor_type: 'user', actor_id: 'u1', correlation_id: 'call-1', target_id: 'd1' });
  });

  it('cannot be updated or deleted through the store layer', async () => {
    await s.audit.append({ actor: { type: 'user', id: 'u1' }, action: 'user.create', outcome: 'ok' });
    await expect(s.store.db.updateTable('audit_log').set({ outcome: 'denied' }).execute()).rejects.toThrow(/append-only/);
    await expect(s.store.db.deleteFrom('audit_log').execute()).rejects.toThrow(/append-only/);
    expect((await s.audit.list()).map((e) => e.outcome)).toEqual(['ok']);
  });

  it('appends several entries in their order, four to a statement, all in the transaction or none', async () => {
    const entry = (i: number) => ({ actor: { type: 'system' as const, id: null }, action: `test.${i}`, outcome: 'ok' as const, details: { i } });
    await s.audit.appendAll([1, 2, 3, 4, 5, 6].map(entry));
    const rows = (await s.audit.list()).reverse();
    expect(rows.map((r) => r.action)).toEqual(['test.1', 'test.2', 'test.3', 'test.4', 'test.5', 'test.6']);
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => rows[0]!.seq + i));
    await expect(s.store.transaction(async (tx) => {
      await s.audit.appendAll([7, 8].map(entry), tx);
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(await s.audit.list()).toHaveLength(6);
  });

  it('rolls an audited change back with its entry when the transaction fails', async () => {
    await expect(s.store.transaction(async (tx) => {
      await s.audit.append({ actor: { type: 'system', id: null }, action: 'site.create', outcome: 'ok' }, tx);
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(await s.audit.list()).toEqual([]);
  });
});
