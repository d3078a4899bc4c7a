// Flows customers get without writing rules: a card read unlocks the reader's
// door (or is denied, with a message on the nearest terminal); a forced or
// held-open door alerts the reception's desks; motion wakes the nearby terminal;
// after an acknowledged unlock a persisted relock check expects the door closed.
// A reader with too many denied reads in a minute is not asked about cards at
// all until the minute has passed (a stolen reader secret cannot try cards fast).
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AuditLog, AuditEntry, Actor } from '../audit/index.ts';
import type { Clock } from '../core/index.ts';
import type { UnlockRequest } from '../sites/index.ts';
import type { HubTables } from './tables.ts';
import type { HubPorts } from './ports.ts';
import type { HubEvent } from './messages.ts';
import type { Cards } from './cards.ts';
import type { DoorOutbox, CommandRow } from './outbox.ts';
import type { DoorStates } from './door-states.ts';
import type { Timers } from './timers.ts';
import type { Devices } from './devices.ts';
import { AttemptWindow } from './limits.ts';

export interface BuiltinOptions {
  /** Seconds a card unlock keeps the door open. */
  unlockSeconds: number;
  /** Grace after `seconds` before an unlocked door must report closed. */
  relockGraceMs: number;
  /** Denied reads one reader may have per minute; beyond, its reads are ignored until the minute passes. */
  deniedReadsPerMinute: number;
}

const DENIED = { de: 'Zutritt verweigert', en: 'Access denied' };
const THROTTLED = { de: 'Kartenleser gesperrt: zu viele abgelehnte Karten', en: 'Card reader blocked: too many denied cards' };
const alertText = (state: string) => state === 'forced'
  ? { de: 'Tür aufgebrochen', en: 'Door forced open' }
  : state === 'held-open' ? { de: 'Tür wird offen gehalten', en: 'Door held open' } : { de: 'Tür nicht geschlossen', en: 'Door not closed' };

/** Card reads the start-up warm-up runs (see BuiltinFlows.warm). */
const WARM_READS = 200;

export interface BuiltinDeps {
  db: Kysely<HubTables>; cards: Cards; outbox: DoorOutbox; states: DoorStates; timers: Timers; devices: Devices;
  ports: HubPorts; audit: AuditLog; clock: Clock; logger: Logger; opts: BuiltinOptions;
}

export class BuiltinFlows {
  readonly #d: BuiltinDeps;
  readonly #denied: AttemptWindow;
  /** Readers whose reads are being ignored (audited and notified once per episode). */
  readonly #throttled = new Set<string>();

  constructor(deps: BuiltinDeps) {
    this.#d = deps;
    this.#denied = new AttemptWindow(deps.opts.deniedReadsPerMinute, 60_000, deps.clock);
    deps.timers.handle('relock-check', (key, data) => this.#relockCheck(key, data as { siteId: string; command: string }));
    deps.outbox.on('settled', (row, outcome) => {
      if (outcome === 'acknowledged' && row.action === 'unlock') void this.#armRelockCheck(row).catch((error: unknown) => deps.logger.error({ err: error }, 'builtin: relock check not armed'));
    });
  }

  /**
   * The built-in flow an event starts; undefined when it starts none (a stale
   * event, a status, an event no flow reacts to): those cost no promise.
   */
  handle(event: HubEvent): Promise<void> | undefined {
    if (!event.fresh) return undefined;
    const m = event.message;
    if (m.leaf === 'card') return this.#card(event, m.payload.card);
    if (m.leaf === 'state' && (m.payload.state === 'forced' || m.payload.state === 'held-open')) return this.#alert(event.siteId, event.doorId!, m.payload.state, randomUUID());
    if (m.leaf === 'event' && m.payload.type === 'motion' && m.payload.value !== false && event.terminalId) return this.#wake(event, event.terminalId);
    return undefined;
  }

  async #card(event: HubEvent, card: string): Promise<void> {
    const device = { id: event.deviceId, doorId: event.doorId, terminalId: event.terminalId };
    if (!device.doorId) return;
    const actor: Actor = { type: 'credential', id: event.credentialId };
    const correlationId = randomUUID();
    if (this.#isThrottled(device.id)) return;
    const decision = await this.#d.cards.decide(event.siteId, card, device.doorId);
    const read: AuditEntry = {
      actor, action: 'card.read', target: { type: 'door', id: device.doorId }, outcome: decision.allowed ? 'ok' : 'denied',
      siteId: event.siteId, correlationId,
      details: decision.allowed ? { device: device.id, holder: decision.holderRef, kind: decision.kind } : { device: device.id, reason: decision.reason },
    };
    if (decision.allowed) {
      return this.#unlock(read, { doorId: device.doorId, seconds: this.#d.opts.unlockSeconds, issuedBy: actor, correlationId });
    }
    await this.#d.audit.append(read);
    if (!this.#denied.hit(device.id)) await this.#throttle(event.siteId, device.id, device.doorId, actor, correlationId);
    if (device.terminalId) {
      await this.#optional('terminal.show', event.siteId, correlationId, () => this.#d.ports.terminals?.show({ terminalId: device.terminalId!, message: DENIED, durationSeconds: 5, cause: actor, correlationId }));
    }
  }

  /**
   * The read's audit entry, the unlock command and its `issued` entry are one
   * transaction (with the acks waiting to be written: one commit per read; all
   * entries one insert); the command is sent once it is stored. A command that
   * cannot be stored never costs the read its audit entry.
   */
  async #unlock(read: AuditEntry, request: UnlockRequest): Promise<void> {
    const { audit, outbox, logger } = this.#d;
    try {
      const command = await outbox.prepare('unlock', request);
      await outbox.record(command, read);
      outbox.dispatch(command).catch(() => {}); // the outbox audits acknowledgement or expiry
    } catch (error) {
      logger.error({ err: error, correlationId: request.correlationId }, 'builtin: card unlock not issued');
      await audit.append(read);
    }
  }

  /**
   * Runs the card path (card lookup, an ack, the unlock's transaction with the
   * ack in it, the ack alone) WARM_READS times before the listeners open, every
   * write rolled back or changing nothing: a cold
   * process took over a second to catch up with 1 000 reads/s (interpreted
   * code, statements prepared on first use, empty page cache), now compiled
   * and cached before the first real read. Nothing is written or sent.
   * Answers the door it ran on (none without a door: nothing to warm).
   */
  async warm(): Promise<{ siteId: string; doorId: string } | undefined> {
    const door = await this.#d.db.selectFrom('doors').select(['id', 'site_id']).limit(1).executeTakeFirst();
    if (!door) return undefined;
    const issuedBy: Actor = { type: 'system', id: null };
    for (let i = 0; i < WARM_READS; i++) {
      const correlationId = randomUUID();
      const decision = await this.#d.cards.decide(door.site_id, `warm-up-${i}`, door.id);
      const read: AuditEntry = { actor: issuedBy, action: 'card.read', target: { type: 'door', id: door.id }, outcome: decision.allowed ? 'ok' : 'denied', siteId: door.site_id, correlationId, details: { warmUp: true } };
      const command = await this.#d.outbox.prepare('unlock', { doorId: door.id, seconds: this.#d.opts.unlockSeconds, issuedBy, correlationId });
      // The ack of a command never stored: settles nothing, in the rehearsal and written alone after it.
      const acked = this.#d.outbox.acknowledge(door.id, 'warm-up', { id: command.id, result: 'ok' });
      await this.#d.outbox.record(command, read, { rehearsal: true });
      await this.#d.outbox.acksWritten();
      await acked;
    }
    return { siteId: door.site_id, doorId: door.id };
  }

  /** Reads of a throttled reader are dropped undecided; the episode ends when its minute has passed. */
  #isThrottled(readerId: string): boolean {
    if (!this.#throttled.has(readerId)) return false;
    if (this.#denied.count(readerId) >= this.#d.opts.deniedReadsPerMinute) return true;
    this.#throttled.delete(readerId);
    return false;
  }

  async #throttle(siteId: string, readerId: string, doorId: string, actor: Actor, correlationId: string): Promise<void> {
    this.#throttled.add(readerId);
    this.#d.logger.warn({ device: readerId, door: doorId }, 'builtin: card reader throttled, too many denied reads');
    await this.#d.audit.append({
      actor, action: 'card.throttled', target: { type: 'door', id: doorId }, outcome: 'denied', siteId, correlationId,
      details: { device: readerId, deniedPerMinute: this.#d.opts.deniedReadsPerMinute },
    });
    await this.#optional('desk.notify', siteId, correlationId, () => this.#d.ports.desks?.notify({ siteId, role: 'reception', text: THROTTLED, severity: 'alert', correlationId }));
  }

  async #alert(siteId: string, doorId: string, state: string, correlationId: string): Promise<void> {
    await this.#d.audit.append({ actor: { type: 'system', id: null }, action: 'door.alert', target: { type: 'door', id: doorId }, outcome: 'ok', siteId, correlationId, details: { state } });
    await this.#optional('desk.notify', siteId, correlationId, () => this.#d.ports.desks?.notify({ siteId, role: 'reception', text: alertText(state), severity: 'alert', correlationId }));
  }

  async #wake(event: HubEvent, terminalId: string): Promise<void> {
    await this.#optional('terminal.wake', event.siteId, undefined, () => this.#d.ports.terminals?.wake(terminalId, { type: 'credential', id: event.credentialId }));
  }

  async #armRelockCheck(row: CommandRow): Promise<void> {
    // A door that never reported a state cannot be checked (the check would always pass).
    if (!(await this.#d.states.get(row.door_id))) return;
    const due = this.#d.clock.now() + row.seconds * 1000 + this.#d.opts.relockGraceMs;
    await this.#d.timers.schedule('relock-check', row.door_id, due, { siteId: row.site_id, command: row.id });
  }

  async #relockCheck(doorId: string, data: { siteId: string; command: string }): Promise<void> {
    const state = await this.#d.states.get(doorId);
    // No state reported at all is not an alarm: many controllers only report changes.
    const closed = !state || state.state === 'closed';
    await this.#d.audit.append({ actor: { type: 'system', id: null }, action: 'door.relock-check', target: { type: 'door', id: doorId }, outcome: closed ? 'ok' : 'failed', siteId: data.siteId, correlationId: data.command, details: { state: state?.state ?? 'unknown' } });
    if (!closed) await this.#alert(data.siteId, doorId, state!.state, data.command);
  }

  /** Runs a call into an optional port; absent or failing ports are audited, not thrown. */
  async #optional(action: string, siteId: string, correlationId: string | undefined, call: () => Promise<unknown> | undefined): Promise<void> {
    try {
      const r = call();
      if (r === undefined) {
        this.#d.logger.info({ action }, 'builtin: skipped, the service is not running');
        await this.#d.audit.append({ actor: { type: 'system', id: null }, action, outcome: 'failed', siteId, correlationId, details: { reason: 'unavailable' } });
        return;
      }
      await r;
    } catch (error) {
      await this.#d.audit.append({ actor: { type: 'system', id: null }, action, outcome: 'failed', siteId, correlationId, details: { reason: error instanceof Error ? error.message : String(error) } });
    }
  }
}
