// The hub's observer (mediasoup's pattern): what watchers that own nothing may
// listen to — device presence, refusals, validated device messages, door commands
// issued and settled, rules fired and skipped. The alerts watch presence here.
import { TypedEmitter } from '../core/index.ts';
import type { Broker, BrokerEvents } from './broker.ts';
import type { DeviceMessages, HubEvent } from './messages.ts';
import type { DoorOutbox, OutboxEvents } from './outbox.ts';
import type { RuleEngine, RuleEngineEvents } from './rules/engine.ts';

export type HubObserverEvents = {
  /** A device or integration connected (authenticated). */
  online: BrokerEvents['online'];
  offline: BrokerEvents['offline'];
  /** A connection, packet or subscription the broker refused (counted in status().refused). */
  refused: BrokerEvents['refused'];
  /** A device's message that passed the contract, as the rules see it. */
  event: [HubEvent];
  commandIssued: OutboxEvents['issued'];
  commandSettled: OutboxEvents['settled'];
  ruleFired: RuleEngineEvents['fired'];
  ruleSkipped: RuleEngineEvents['skipped'];
};

export class HubObserver extends TypedEmitter<HubObserverEvents> {
  /** Listens to the hub's parts once, at the hub's construction; only the hub emits here. */
  constructor(parts: { broker: Broker; messages: DeviceMessages; outbox: DoorOutbox; engine: RuleEngine }) {
    super();
    parts.broker.on('online', (d) => this.safeEmit('online', d));
    parts.broker.on('offline', (d) => this.safeEmit('offline', d));
    parts.broker.on('refused', (r) => this.safeEmit('refused', r));
    parts.messages.on('event', (e) => this.safeEmit('event', e));
    parts.outbox.on('issued', (row) => this.safeEmit('commandIssued', row));
    parts.outbox.on('settled', (row, outcome) => this.safeEmit('commandSettled', row, outcome));
    parts.engine.on('fired', (f) => this.safeEmit('ruleFired', f));
    parts.engine.on('skipped', (s) => this.safeEmit('ruleSkipped', s));
  }
}
