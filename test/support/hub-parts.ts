// Device-hub parts built on their own, for the tests of one part's mechanics
// (the message pipeline, the outbox's acks, the card path's warm-up): they run on the
// services' store like a hub would, with the gateway's publishes recorded instead
// of sent. A test of the hub as a whole uses startHub() and its facade instead.
import pino from 'pino';
import type { Clock } from '../../src/core/index.ts';
import type { DeviceHubTables } from '../../src/device-hub/tables.ts';
import { DoorOutbox } from '../../src/device-hub/outbox.ts';
import { DoorStates } from '../../src/device-hub/door-states.ts';
import { DeviceMessages } from '../../src/device-hub/messages.ts';
import { Timers } from '../../src/device-hub/timers.ts';
import { Cards } from '../../src/device-hub/cards.ts';
import { Devices } from '../../src/device-hub/devices.ts';
import { BuiltinFlows } from '../../src/device-hub/builtins.ts';
import type { Services } from './services.ts';

export interface Published { topic: string; payload: string }

/** The inbound pipeline (messages → outbox acks, door states) and the outbox, on `svc`'s store. */
export function pipelineOn(svc: Services, clock: Clock, opts: { ackTimeoutMs?: number; doorOnline?: boolean; ackBatchMs?: number; logger?: pino.Logger } = {}) {
  const db = svc.store.db.withTables<DeviceHubTables>();
  const logger = opts.logger ?? pino({ level: 'silent' });
  const published: Published[] = [];
  const publish = async (topic: string, payload: string) => { published.push({ topic, payload }); };
  const outbox = new DoorOutbox({
    db, audit: svc.audit, clock, logger, ackTimeoutMs: opts.ackTimeoutMs ?? 10_000, publish,
    doorOnline: () => opts.doorOnline ?? true, sites: svc.sites, ackBatchMs: opts.ackBatchMs, now: svc.store,
  });
  const states = new DoorStates({ db, clock, publishRetained: publish });
  const messages = new DeviceMessages({ logger, clock, outbox, states, publish });
  return { messages, outbox, states, published, close: () => outbox.close() };
}

/** The built-in flows (card path, alerts, relock checks) on the pipeline's outbox and door states. */
export function flowsOn(svc: Services, clock: Clock, cardKey: string) {
  const parts = pipelineOn(svc, clock);
  const db = svc.store.db.withTables<DeviceHubTables>();
  const logger = pino({ level: 'silent' });
  const timers = new Timers({ db, clock, logger });
  const flows = new BuiltinFlows({
    db, cards: new Cards({ db, clock, audit: svc.audit, key: cardKey, sites: svc.sites, now: svc.store }), outbox: parts.outbox, states: parts.states, timers,
    devices: new Devices({ store: svc.store, credentials: svc.credentials, clock, sites: svc.sites, audit: svc.audit }), ports: {}, audit: svc.audit, clock, logger,
    opts: { unlockSeconds: 5, relockGraceMs: 10_000, deniedReadsPerMinute: 10 },
  });
  return { ...parts, flows, close: () => { timers.close(); parts.close(); } };
}
