// The door-command outbox: an unlock to an offline door is delivered when it
// reconnects in time (also across a restart), never after expiry; acks by
// command id, duplicates idempotent; every step audited. Acks that ride in an
// unlock's transaction never cost it the unlock, and never lose to an expiry.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import pino from 'pino';
import { startHub, connect, device, closeClient, nextMessage, waitForEvent, ManualClock, type HubFixture } from '../support/mqtt.ts';
import { pipelineOn } from '../support/hub-parts.ts';

const reception = { type: 'user' as const, id: 'u-reception' };
/** An ack batching delay no test outlasts: an ack is written only with an unlock or when asked to. */
const NEVER_MS = 3_600_000;

describe('device hub: door command outbox', () => {
  let fx: HubFixture;
  let clock: ManualClock;
  let door: { id: string; secret: string };
  let client: MqttClient | undefined;
  const cmdTopic = () => `portier/hq/doors/${fx.doorId}/cmd`;
  const commandState = async (id: string) => (await sql<{ state: string }>`SELECT state FROM door_commands WHERE id = ${id}`.execute(fx.svc.store.db as never)).rows[0]?.state;

  /** Issues an unlock and waits until its row exists (expiry counts from then). */
  const issue = async (seconds: number, correlationId?: string) => {
    const issued = waitForEvent(fx.hub.observer, 'commandIssued');
    const result = fx.hub.openDoor({ doorId: fx.doorId, seconds, issuedBy: reception, correlationId });
    result.catch(() => {}); // a restarting hub rejects its waiters; tests await the ones they need
    await issued;
    return { result }; // wrapped: an async function returning a promise would wait for it
  };

  const connectDoor = async () => {
    client = await connect(fx.url.tcp, device(door));
    return client;
  };

  beforeEach(async () => {
    clock = new ManualClock();
    fx = await startHub({ clock });
    door = await fx.register('door-1', 'door');
  });
  afterEach(async () => {
    await closeClient(client);
    client = undefined;
    await fx.close();
  });

  it('delivers an unlock to an offline door when it reconnects in time; the ack settles it', async () => {
    const { result } = await issue(7, 'call-1');
    await clock.advance(5_000); // still valid: 5 of 10 s
    const c = await connectDoor();
    const cmd = nextMessage(c, cmdTopic());
    await c.subscribeAsync(cmdTopic(), { qos: 1 });
    const { payload } = await cmd;
    expect(payload).toMatchObject({ action: 'unlock', seconds: 7 });
    expect(payload.expires_at).toBe(clock.now() + 5_000);
    await c.publishAsync('portier/hq/door-1/ack', JSON.stringify({ id: payload.id, result: 'ok' }), { qos: 1 });
    await expect(result).resolves.toEqual({ commandId: payload.id, outcome: 'acknowledged' });
    const audit = await fx.svc.audit.list({ correlationId: 'call-1' });
    expect(audit.map((a) => [a.action, a.outcome, JSON.parse(a.details!).phase])).toEqual([
      ['door.unlock', 'ok', 'acknowledged'], ['door.unlock', 'ok', 'issued'],
    ]);
  });

  it('settles a command only on an ack of the door\'s own controller, not of another device bound to the door', async () => {
    const display = await fx.register('display-door', 'display', { doorId: fx.doorId });
    const c = await connectDoor();
    const cmd = nextMessage(c, cmdTopic());
    await c.subscribeAsync(cmdTopic(), { qos: 1 });
    const { result } = await issue(5);
    const { payload } = await cmd;
    const other = await connect(fx.url.tcp, device(display));
    await other.publishAsync('portier/hq/display-door/ack', JSON.stringify({ id: payload.id, result: 'ok' }), { qos: 1 });
    await fx.hub.idle();
    expect(await commandState(payload.id)).toBe('pending');
    await c.publishAsync('portier/hq/door-1/ack', JSON.stringify({ id: payload.id, result: 'ok' }), { qos: 1 });
    await expect(result).resolves.toEqual({ commandId: payload.id, outcome: 'acknowledged' });
    const acknowledged = (await fx.svc.audit.list({})).filter((a) => a.details?.includes('"acknowledged"'));
    expect(acknowledged.map((a) => JSON.parse(a.details!).device)).toEqual(['door-1']);
    await closeClient(other);
  });

  // The outbox on its own (a part test on the hub's store): acknowledge() answers what each ack did.
  it('treats a duplicate ack as idempotent', async () => {
    const part = pipelineOn(fx.svc, clock);
    try {
      const issued = waitForEvent(part.outbox, 'issued');
      const result = part.outbox.unlock({ doorId: fx.doorId, seconds: 3, issuedBy: reception });
      const [row] = await issued;
      expect(part.published.map((p) => JSON.parse(p.payload).id)).toEqual([row.id]);
      const ack = { id: row.id, result: 'ok' as const };
      expect(await part.outbox.acknowledge(fx.doorId, 'door-1', ack)).toBe('settled');
      expect(await part.outbox.acknowledge(fx.doorId, 'door-1', ack)).toBe('duplicate');
      expect(await part.outbox.acknowledge('other-door', 'door-1', ack)).toBe('unknown');
      await expect(result).resolves.toMatchObject({ outcome: 'acknowledged' });
      expect((await fx.svc.audit.list({ action: 'door.unlock' })).filter((a) => a.outcome === 'ok')).toHaveLength(2);
    } finally {
      part.close();
    }
  });

  it('takes a late ack for an expired command as a duplicate that changes nothing', async () => {
    const part = pipelineOn(fx.svc, clock, { ackTimeoutMs: 10_000 });
    try {
      const issued = waitForEvent(part.outbox, 'issued');
      const result = part.outbox.unlock({ doorId: fx.doorId, seconds: 5, issuedBy: reception });
      const [row] = await issued;
      await clock.advance(10_000);
      await expect(result).resolves.toMatchObject({ outcome: 'timeout' });
      expect(await part.outbox.acknowledge(fx.doorId, 'door-1', { id: row.id, result: 'ok' })).toBe('duplicate');
      expect((await part.outbox.get(row.id))!.state).toBe('expired');
    } finally {
      part.close();
    }
  });

  it('says why an expired command failed in the operator\'s words: never sent (no door controller online) or sent and not acknowledged', async () => {
    for (const [doorOnline, why] of [[false, 'no door controller online'], [true, 'the door controller did not acknowledge']] as const) {
      const lines: Array<Record<string, unknown>> = [];
      const logger = pino({ level: 'info' }, new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(chunk.toString())); cb(); } }));
      const part = pipelineOn(fx.svc, clock, { ackTimeoutMs: 10_000, doorOnline, logger });
      try {
        const issued = waitForEvent(part.outbox, 'issued');
        const result = part.outbox.unlock({ doorId: fx.doorId, seconds: 5, issuedBy: reception });
        await issued;
        await clock.advance(10_000);
        await expect(result).resolves.toMatchObject({ outcome: 'timeout' });
        expect(lines.filter((l) => Number(l.level) >= 40).map((l) => [l.msg, l.why, l.door, l.sends])).toEqual([[`door: unlock failed, ${why}`, why, fx.doorId, doorOnline ? 1 : 0]]);
      } finally {
        part.close();
      }
    }
  });

  it('never delivers a command after expiry and audits it as failed', async () => {
    const { result: expired } = await issue(5, 'late');
    await clock.advance(10_000);
    await expect(expired).resolves.toMatchObject({ outcome: 'timeout' });
    const [entry] = await fx.svc.audit.list({ correlationId: 'late', action: 'door.unlock' });
    expect(entry).toMatchObject({ outcome: 'failed' });
    expect(JSON.parse(entry!.details!)).toMatchObject({ phase: 'expired', sends: 0 });
    // The door comes back: the first command it sees is a fresh one, not the expired one.
    const c = await connectDoor();
    const first = nextMessage(c, cmdTopic());
    await c.subscribeAsync(cmdTopic(), { qos: 1 });
    const fresh = fx.hub.openDoor({ doorId: fx.doorId, seconds: 2, issuedBy: reception });
    const { payload } = await first;
    expect(payload.seconds).toBe(2);
    const expiredId = (await expired).commandId;
    expect(payload.id).not.toBe(expiredId);
    // A late ack for the expired command changes nothing; the fresh one's ack, after it, settles that one.
    await c.publishAsync('portier/hq/door-1/ack', JSON.stringify({ id: expiredId, result: 'ok' }), { qos: 1 });
    await c.publishAsync('portier/hq/door-1/ack', JSON.stringify({ id: payload.id, result: 'ok' }), { qos: 1 });
    await expect(fresh).resolves.toMatchObject({ outcome: 'acknowledged' });
    expect(await commandState(expiredId)).toBe('expired');
    expect((await fx.svc.audit.list({ correlationId: 'late', action: 'door.unlock' })).map((a) => a.outcome)).toEqual(['failed', 'ok']);
  });

  it('drops an expired command payload at delivery (authorizeForward)', async () => {
    const c = await connectDoor();
    await c.subscribeAsync(cmdTopic(), { qos: 1 });
    const first = nextMessage(c, cmdTopic());
    await fx.hub.publish(cmdTopic(), JSON.stringify({ id: 'stale', action: 'unlock', seconds: 5, expires_at: clock.now() - 1 }), { qos: 1 });
    const fresh = fx.hub.openDoor({ doorId: fx.doorId, seconds: 4, issuedBy: reception });
    expect((await first).payload.seconds).toBe(4);
    await clock.advance(10_000);
    await expect(fresh).resolves.toMatchObject({ outcome: 'timeout' });
  });

  it('re-sends a still-valid command after a gateway restart; an expired one is failed at start', async () => {
    await issue(6, 'restart');
    await clock.advance(2_000);
    await fx.restart();
    const c = await connectDoor();
    const cmd = nextMessage(c, cmdTopic());
    await c.subscribeAsync(cmdTopic(), { qos: 1 });
    const { payload } = await cmd;
    expect(payload.seconds).toBe(6);
    await c.publishAsync('portier/hq/door-1/ack', JSON.stringify({ id: payload.id, result: 'ok' }), { qos: 1 });
    await fx.hub.idle();
    expect(await commandState(payload.id)).toBe('acknowledged');

    await c.unsubscribeAsync(cmdTopic());
    await issue(6, 'lost');
    await fx.restart();
    const settled = waitForEvent(fx.hub.observer, 'commandSettled');
    await clock.advance(11_000);
    const [row, outcome] = await settled;
    expect([row.correlation_id, row.state, outcome]).toEqual(['lost', 'expired', 'timeout']);
  });

  it('a refused command is reported as failed', async () => {
    const c = await connectDoor();
    await c.subscribeAsync(cmdTopic(), { qos: 1 });
    const cmd = nextMessage(c, cmdTopic());
    const result = fx.hub.openDoor({ doorId: fx.doorId, seconds: 3, issuedBy: reception });
    const { payload } = await cmd;
    await c.publishAsync('portier/hq/door-1/ack', JSON.stringify({ id: payload.id, result: 'refused', reason: 'jammed' }), { qos: 1 });
    await expect(result).resolves.toMatchObject({ outcome: 'failed' });
  });

  // Review s21 #4: another door's ack that fails to be written (here a trigger refuses
  // its update) used to roll back the unlock it rode with.
  it('an ack that fails to be written does not cost the unlock recorded with it; it is written on its own later', async () => {
    const part = pipelineOn(fx.svc, clock, { ackBatchMs: NEVER_MS });
    const db = fx.svc.store.db;
    try {
      const first = await part.outbox.prepare('unlock', { doorId: fx.doorId, seconds: 3, issuedBy: reception, correlationId: 'first' });
      await part.outbox.record(first);
      const firstResult = part.outbox.dispatch(first);
      firstResult.catch(() => {}); // awaited below; closing rejects it if an expectation failed before
      await sql`CREATE TEMP TRIGGER poisoned_ack BEFORE UPDATE ON door_commands WHEN OLD.id = ${sql.lit(first.id)} BEGIN SELECT RAISE(ABORT, 'poisoned ack'); END`.execute(db);
      const acked = part.outbox.acknowledge(fx.doorId, 'door-1', { id: first.id, result: 'ok' });
      const second = await part.outbox.prepare('unlock', { doorId: fx.doorId, seconds: 3, issuedBy: reception, correlationId: 'second' });
      const read = { actor: reception, action: 'card.read', target: { type: 'door', id: fx.doorId }, outcome: 'ok' as const, siteId: 'hq', correlationId: 'second' };
      await part.outbox.record(second, read);
      const secondResult = part.outbox.dispatch(second);
      secondResult.catch(() => {});
      expect(part.published.map((p) => JSON.parse(p.payload).id)).toEqual([first.id, second.id]);
      expect((await part.outbox.get(second.id))!.state).toBe('pending');
      expect((await fx.svc.audit.list({ correlationId: 'second' })).map((a) => a.action)).toEqual(['door.unlock', 'card.read']);
      expect((await part.outbox.get(first.id))!.state).toBe('pending');
      await sql`DROP TRIGGER poisoned_ack`.execute(db);
      await part.outbox.acksWritten();
      expect(await acked).toBe('settled');
      await expect(firstResult).resolves.toEqual({ commandId: first.id, outcome: 'acknowledged' });
    } finally {
      await sql`DROP TRIGGER IF EXISTS poisoned_ack`.execute(db);
      part.close();
      await part.outbox.acksWritten();
    }
  });

  // Review s21 #5: the expiry flushed only the acks still waiting, not one an unlock's
  // transaction had taken; when that transaction failed, the ack came back too late.
  it('an ack that arrived in time settles its command even when the unlock transaction holding it fails as the command expires', async () => {
    const part = pipelineOn(fx.svc, clock, { ackTimeoutMs: 10_000, ackBatchMs: NEVER_MS });
    try {
      const first = await part.outbox.prepare('unlock', { doorId: fx.doorId, seconds: 3, issuedBy: reception });
      await part.outbox.record(first);
      const result = part.outbox.dispatch(first);
      result.catch(() => {}); // awaited below; closing rejects it if an expectation failed before
      const acked = part.outbox.acknowledge(fx.doorId, 'door-1', { id: first.id, result: 'ok' });
      const broken = { ...(await part.outbox.prepare('unlock', { doorId: fx.doorId, seconds: 3, issuedBy: reception })), door_id: 'no-such-door' };
      const failing = part.outbox.record(broken); // takes the ack
      failing.catch(() => {});
      await clock.advance(10_000); // the expiry comes while that transaction holds the ack
      await expect(failing).rejects.toThrow(/FOREIGN KEY/);
      await expect(result).resolves.toEqual({ commandId: first.id, outcome: 'acknowledged' });
      await part.outbox.acksWritten();
      expect(await acked).toBe('settled');
      expect((await part.outbox.get(first.id))!.state).toBe('acknowledged');
      expect((await fx.svc.audit.list({ action: 'door.unlock' })).map((a) => JSON.parse(a.details!).phase)).not.toContain('expired');
    } finally {
      part.close();
      await part.outbox.acksWritten();
    }
  });

  // Review s21 #7: an ack after close was queued and armed a fresh timer.
  it('refuses an ack after the outbox closed, without arming a timer', async () => {
    const part = pipelineOn(fx.svc, clock);
    part.close();
    const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timeouts();
    const acked = part.outbox.acknowledge(fx.doorId, 'door-1', { id: '6f1c0d9e-0000-4000-8000-000000000000', result: 'ok' });
    expect(timeouts()).toBe(before);
    await expect(acked).rejects.toMatchObject({ name: 'UnavailableError', code: 'unavailable' });
    await part.outbox.acksWritten();
  });

  // Issue 16: the index of pending commands holds only those (migration 099), so a
  // settle takes the entry out instead of moving it among every command ever issued.
  it('keeps only pending commands in door_commands_pending, and the re-send query uses it', async () => {
    const part = pipelineOn(fx.svc, clock, { ackBatchMs: NEVER_MS });
    const db = fx.svc.store.db;
    const indexed = async () => (await sql<{ n: number }>`SELECT count(*) AS n FROM door_commands INDEXED BY door_commands_pending WHERE state = 'pending'`.execute(db)).rows[0]!.n;
    try {
      const command = await part.outbox.prepare('unlock', { doorId: fx.doorId, seconds: 3, issuedBy: reception });
      await part.outbox.record(command);
      const result = part.outbox.dispatch(command);
      expect(await indexed()).toBe(1);
      const acked = part.outbox.acknowledge(fx.doorId, 'door-1', { id: command.id, result: 'ok' });
      await part.outbox.acksWritten();
      expect(await acked).toBe('settled');
      await expect(result).resolves.toMatchObject({ outcome: 'acknowledged' });
      expect(await indexed()).toBe(0);
      const { rows: [index] } = await sql<{ sql: string }>`SELECT sql FROM sqlite_master WHERE name = 'door_commands_pending'`.execute(db);
      expect(index!.sql).toMatch(/\(door_id\) WHERE state = 'pending'$/);
      const plan = await sql<{ detail: string }>`EXPLAIN QUERY PLAN SELECT * FROM door_commands WHERE state = 'pending' AND door_id = ${fx.doorId} AND expires_at > 0 ORDER BY created_at`.execute(db);
      expect(plan.rows.map((r) => r.detail).join('; ')).toContain('USING INDEX door_commands_pending');
    } finally {
      part.close();
      await part.outbox.acksWritten();
    }
  });

  // Issue 16: door_commands lives in its primary key's B-tree (migration 105) and command ids grow with
  // time, so a card read's insert and the settle of the command before it change the same rightmost leaf
  // (a random id put a leaf of the index on id, somewhere, into every commit).
  it('stores commands by their time-ordered ids (UUID version 7) in the primary key\'s B-tree: no rowid table, no index on id', async () => {
    const part = pipelineOn(fx.svc, clock, { ackBatchMs: NEVER_MS });
    const db = fx.svc.store.db;
    try {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const command = await part.outbox.prepare('unlock', { doorId: fx.doorId, seconds: 3, issuedBy: reception });
        await part.outbox.record(command);
        ids.push(command.id);
        await clock.advance(1);
      }
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect([...ids].sort()).toEqual(ids);
      const { rows } = await sql<{ name: string; sql: string | null }>`SELECT name, sql FROM sqlite_master WHERE tbl_name = 'door_commands' ORDER BY name`.execute(db);
      expect(rows.map((r) => r.name)).toEqual(['door_commands', 'door_commands_pending']);
      expect(rows[0]!.sql).toMatch(/WITHOUT ROWID$/);
    } finally {
      part.close();
      await part.outbox.acksWritten();
    }
  });
});
