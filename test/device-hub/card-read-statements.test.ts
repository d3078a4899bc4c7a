// What one card read costs the store, counted (a mechanism that holds on a loaded
// machine, unlike its latency): the card lookup, the unlock's transaction (command
// row and both audit entries in one insert) and the ack's transaction — and no
// read of the audit chain's head, which the audit log keeps in memory. When reads
// follow each other, an ack waiting to be written rides in the next unlock's
// transaction: one commit per read (the outbox part on its own, with a batching
// delay no test outlasts, so that the ack can only be written that way).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { NowRunner } from '../../src/store/index.ts';
import type { HubFixture } from '../support/mqtt.ts';
import { startCardReadHub, type CardReadHub } from '../support/card-read-hub.ts';
import { countStatements } from '../support/statements.ts';
import { pipelineOn } from '../support/hub-parts.ts';

const reception = { type: 'user' as const, id: 'u-reception' };
const NEVER_MS = 3_600_000;

describe('device hub: statements per card read', () => {
  let hub: CardReadHub;
  let fx: HubFixture;
  let read: () => Promise<void>;
  beforeAll(async () => {
    hub = await startCardReadHub();
    hub.ackEveryCommand();
    ({ fx, read } = hub);
  });
  afterAll(async () => { await hub?.close(); });

  it('a card read and its ack run 9 statements, none of them reading the audit log', async () => {
    await read(); // the door's state (none reported) is cached from the first read on
    const statements = countStatements();
    try {
      for (let i = 0; i < 3; i++) {
        await read();
        expect(statements.take()).toEqual({
          'select cards': 1,
          begin: 2, 'insert door_commands': 1, 'insert audit_log': 2, commit: 2, 'update door_commands': 1,
        });
      }
    } finally {
      statements.stop();
    }
    const entries = await fx.svc.store.db.selectFrom('audit_log').select('action').orderBy('seq').execute();
    expect(entries.slice(-12).map((e) => e.action)).toEqual(Array.from({ length: 4 }, () => ['card.read', 'door.unlock', 'door.unlock']).flat());
  });

  it('an ack waiting to be written is settled in the next unlock\'s transaction (in a savepoint): one commit and one audit insert for both', async () => {
    const part = pipelineOn(fx.svc, fx.clock, { ackBatchMs: NEVER_MS });
    const statements = countStatements();
    try {
      const first = await part.outbox.prepare('unlock', { doorId: fx.doorId, seconds: 3, issuedBy: reception, correlationId: 'first' });
      await part.outbox.record(first);
      const firstResult = part.outbox.dispatch(first);
      const acked = part.outbox.acknowledge(fx.doorId, 'door-1', { id: first.id, result: 'ok' });
      const second = await part.outbox.prepare('unlock', { doorId: fx.doorId, seconds: 3, issuedBy: reception, correlationId: 'second' });
      statements.take();
      await part.outbox.record(second);
      // The ack settled in a savepoint of its own (review s21 #4): a failing ack never costs the unlock;
      // its audit entry goes into the unlock's one insert.
      expect(statements.take()).toEqual({ begin: 1, savepoint: 1, 'update door_commands': 1, release: 1, 'insert door_commands': 1, 'insert audit_log': 1, commit: 1 });
      expect(await acked).toBe('settled');
      await expect(firstResult).resolves.toEqual({ commandId: first.id, outcome: 'acknowledged' });
      const entries = await fx.svc.audit.list({ action: 'door.unlock', limit: 3 });
      expect(entries.reverse().map((e) => [e.correlation_id, (JSON.parse(e.details!) as { phase: string }).phase]))
        .toEqual([['first', 'issued'], ['first', 'acknowledged'], ['second', 'issued']]);
    } finally {
      statements.stop();
      part.close();
      await part.outbox.acksWritten();
    }
  });

  it('a card read while the store\'s connection is free looks the card up and records its unlock at once (Store.readNow / runNow)', async () => {
    await read(); // the holder's pseudonym key exists from here on (making it takes the usual way)
    const store = fx.svc.store;
    const { runNow, readNow } = store;
    const ranNow = { runs: 0, reads: 0 };
    store.runNow = <T>(work: (run: NowRunner) => T) => { const r = runNow.call(store, work) as { value: T } | undefined; if (r) ranNow.runs++; return r; };
    store.readNow = <T>(work: (run: NowRunner) => T) => { const r = readNow.call(store, work) as { value: T } | undefined; if (r) ranNow.reads++; return r; };
    try {
      for (let i = 0; i < 3; i++) await read();
    } finally {
      Object.assign(store, { runNow, readNow });
    }
    expect(ranNow).toEqual({ runs: 3, reads: 3 });
    const entries = await fx.svc.store.db.selectFrom('audit_log').select('action').orderBy('seq').execute();
    expect(entries.slice(-9).map((e) => e.action)).toEqual(Array.from({ length: 3 }, () => ['card.read', 'door.unlock', 'door.unlock']).flat());
  });

  it('an unlock recorded while a transaction holds the store\'s connection waits for it and is written the usual way', async () => {
    const part = pipelineOn(fx.svc, fx.clock, { ackBatchMs: NEVER_MS });
    try {
      const row = await part.outbox.prepare('unlock', { doorId: fx.doorId, seconds: 3, issuedBy: reception, correlationId: 'busy' });
      const order: string[] = [];
      let release!: () => void;
      const released = new Promise<void>((resolve) => { release = resolve; });
      let holding!: () => void;
      const held = new Promise<void>((resolve) => { holding = resolve; });
      const other = fx.svc.store.transaction(async (tx) => {
        await sql`select 1`.execute(tx);
        holding();
        await released;
      }).then(() => order.push('other transaction'));
      await held;
      const recorded = part.outbox.record(row).then(() => order.push('unlock recorded'));
      release();
      await Promise.all([other, recorded]);
      expect(order).toEqual(['other transaction', 'unlock recorded']);
      expect((await part.outbox.get(row.id))!.state).toBe('pending');
    } finally {
      part.close();
      await part.outbox.acksWritten();
    }
  });

  it('an ack taken by an unlock whose transaction failed waits again and is written on its own', async () => {
    const part = pipelineOn(fx.svc, fx.clock, { ackBatchMs: NEVER_MS });
    try {
      const first = await part.outbox.prepare('unlock', { doorId: fx.doorId, seconds: 3, issuedBy: reception });
      await part.outbox.record(first);
      const acked = part.outbox.acknowledge(fx.doorId, 'door-1', { id: first.id, result: 'ok' });
      const broken = { ...(await part.outbox.prepare('unlock', { doorId: fx.doorId, seconds: 3, issuedBy: reception })), door_id: 'no-such-door' };
      await expect(part.outbox.record(broken)).rejects.toThrow(/FOREIGN KEY/);
      expect((await part.outbox.get(first.id))!.state).toBe('pending');
      await part.outbox.acksWritten();
      expect(await acked).toBe('settled');
      expect((await part.outbox.get(first.id))!.state).toBe('acknowledged');
    } finally {
      part.close();
    }
  });
});
