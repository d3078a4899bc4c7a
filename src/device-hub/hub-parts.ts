// The device hub's parts, built and wired to one another: broker and listeners,
// device identities, the door-command outbox, door states, the inbound message
// pipeline, cards, the rules (store and engine), the built-in flows and retention.
// Only DeviceHub holds them; the rest of Portier talks to the hub's facade.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Store } from '../store/index.ts';
import type { AuditLog } from '../audit/index.ts';
import type { Credentials } from '../credentials/index.ts';
import type { Clock } from '../core/index.ts';
import { Sites, type SiteLookup } from '../sites/index.ts';
import type { DeviceHubTables, HubTables } from './tables.ts';
import { Broker, type BrokerLimits } from './broker.ts';
import { Listeners, type TlsMaterialSource } from './listeners.ts';
import { Devices } from './devices.ts';
import { DoorOutbox } from './outbox.ts';
import { DoorStates } from './door-states.ts';
import { DeviceMessages } from './messages.ts';
import { Timers } from './timers.ts';
import { Cards } from './cards.ts';
import { BuiltinFlows } from './builtins.ts';
import { RuleStore } from './rules/rule-store.ts';
import { RuleEngine } from './rules/engine.ts';
import type { RuleScope } from './rules/rule-scope.ts';
import { parseDoorCommandTopic } from './topics.ts';
import type { HubPorts } from './ports.ts';
import { SqlitePersistence } from './persistence/sqlite-persistence.ts';
import { HubRetention, type HubRetentionSettings } from './retention.ts';
import { DevicePresence } from './device-presence.ts';
import { endSessionsOf, integrationLookup } from './hub-access.ts';

export interface DeviceHubSettings {
  host: string;
  tcpPort: number;
  /** null: no TLS listener. */
  tlsPort: number | null;
  limits: BrokerLimits;
  commandAckMs: number;
  /** device_hub.ack_batch_ms (see ack-queue.ts); default ACK_BATCH_MS. */
  ackBatchMs?: number;
  cardUnlockSeconds: number;
  relockGraceMs: number;
  /** Denied card reads per reader per minute before its reads are ignored for the rest of it; default 10. */
  deniedCardReadsPerMinute?: number;
  /** Directory of YAML rule seeds; undefined: none. */
  rulesDir?: string;
  /** Where MQTT session state lives; default memory (lost at a restart). */
  sessions?: { kind: 'memory' } | { kind: 'sqlite'; path: string; maxQueuedPerDevice: number };
  /** Days settled door commands and ended visitor badges are kept; default 90 and 7. */
  retention?: HubRetentionSettings;
}

export interface DeviceHubDeps {
  store: Store;
  audit: AuditLog;
  credentials: Credentials;
  clock: Clock;
  logger: Logger;
  tls?: TlsMaterialSource;
  ports?: HubPorts;
  /** Which site a door is on and a site's time zone (src/sites; the gateway passes its Sites). */
  sites?: SiteLookup;
  /** Lets API tokens holding device.admin on every site connect read-only (integrations, monitoring). */
  roles?: {
    can(principal: { type: 'credential'; id: string }, permission: 'device.admin', siteId?: string): Promise<boolean>;
    /** Where a user holds roles: a rule may notify only users of its own site. */
    assignments(principal: { type: 'user'; id: string }): Promise<Array<{ siteId: string | null }>>;
  };
  settings: DeviceHubSettings;
  /** The deployment's secret for hashing card numbers (<data_dir>/card-hash.key, sealed: src/secrets). */
  cardKey: string;
  /**
   * Called once after the start-up warm-up, before the listeners open: the
   * process's owner collects what start-up left (core collectStartupGarbage),
   * so that the mark-compact it would cost does not fall into the first
   * second of traffic. A process-wide pause, so only main (and the benches) pass it.
   */
  collectGarbage?: () => void;
}

export const DEFAULT_RETENTION: HubRetentionSettings = { commandDays: 90, visitorCardDays: 7 };

export interface HubParts {
  sites: SiteLookup;
  devices: Devices;
  broker: Broker;
  listeners: Listeners;
  timers: Timers;
  outbox: DoorOutbox;
  doorStates: DoorStates;
  messages: DeviceMessages;
  cards: Cards;
  rules: RuleStore;
  engine: RuleEngine;
  builtins: BuiltinFlows;
  retention: HubRetention;
  presence: DevicePresence;
  /** Ends the connection (and on revocation the stored session) of a credential's device or integration. */
  credentialEnded: ReturnType<typeof endSessionsOf>;
}

/** Builds the parts in dependency order and connects the broker's events to them. */
export function buildParts(deps: DeviceHubDeps): HubParts {
  const { store, audit, clock, logger, settings } = deps;
  const db: Kysely<HubTables> = store.db.withTables<DeviceHubTables>();
  // Given at construction and never replaced: the composition root binds them before start().
  const ports: HubPorts = deps.ports ?? {};
  // Components ask Sites about doors and sites instead of reading their tables.
  const sites = deps.sites ?? new Sites({ store, audit, clock });
  const devices = new Devices({ store, credentials: deps.credentials, clock, sites, audit });
  const broker = new Broker({ devices, logger, clock, limits: settings.limits, sessions: sessionStore(settings, logger) });
  const listeners = new Listeners(broker, settings.limits.maxPacketBytes);
  const publish = (topic: string, payload: string) => broker.publish(topic, payload, { qos: 1 });
  const publishRetained = (topic: string, payload: string) => broker.publish(topic, payload, { qos: 1, retain: true });
  const timers = new Timers({ db, clock, logger });
  const presence = new DevicePresence({ broker, devices, clock, logger, resend: (doorId) => outbox.resendPending(doorId) });
  const outbox: DoorOutbox = new DoorOutbox({
    db, audit, clock, logger, ackTimeoutMs: settings.commandAckMs, ackBatchMs: settings.ackBatchMs, publish, doorOnline: (doorId) => presence.doorOnline(doorId), sites, now: store,
  });
  const doorStates = new DoorStates({ db, clock, publishRetained });
  const messages = new DeviceMessages({ logger, clock, outbox, states: doorStates, publish });
  const cards = new Cards({ db, clock, audit, key: deps.cardKey, sites, now: store });
  const scope = ruleScope(deps, sites, devices);
  const rules = new RuleStore({ store, audit, clock, scope });
  const zones = new Map<string, string>();
  const engine = new RuleEngine({
    rules, timers, doors: outbox, ports, audit, clock, logger,
    publish: (topic, payload, retain) => broker.publish(topic, payload, { qos: 1, retain }),
    timeZoneOf: async (siteId) => {
      const zone = zones.get(siteId) ?? (await sites.timeZone(siteId)) ?? 'UTC';
      zones.set(siteId, zone);
      return zone;
    },
    isOnline: (id) => broker.isOnline(id),
    scope,
  });
  const builtins = new BuiltinFlows({
    db, cards, outbox, states: doorStates, timers, devices, ports, audit, clock, logger,
    opts: { unlockSeconds: settings.cardUnlockSeconds, relockGraceMs: settings.relockGraceMs, deniedReadsPerMinute: settings.deniedCardReadsPerMinute ?? 10 },
  });
  const retention = new HubRetention({ db, audit, clock, logger, settings: settings.retention ?? DEFAULT_RETENTION });

  broker.integrations = integrationLookup(deps);
  broker.forwardFilter = (_device, topic, payload) => !parseDoorCommandTopic(topic) || !outbox.isExpired(payload);
  broker.on('message', (device, topic, payload, retain, leaf) => void messages.receive(device, topic, payload, retain, leaf));
  broker.on('online', (device) => void presence.update(device, true));
  broker.on('offline', (device) => void presence.update(device, false));
  // A clean-session door subscribes after CONNACK: re-send once it listens.
  broker.on('subscribed', (_device, topic) => {
    const door = parseDoorCommandTopic(topic);
    if (door) void outbox.resendPending(door.doorId).catch((error: unknown) => logger.error({ err: error }, 'outbox: re-send failed'));
  });
  return {
    sites, devices, broker, listeners, timers, outbox, doorStates, messages, cards, rules, engine, builtins, retention, presence,
    credentialEnded: endSessionsOf(broker, devices),
  };
}

function sessionStore(settings: DeviceHubSettings, logger: Logger): SqlitePersistence | undefined {
  if (settings.sessions?.kind !== 'sqlite') return undefined;
  return new SqlitePersistence({
    path: settings.sessions.path, maxQueuedPerClient: settings.sessions.maxQueuedPerDevice,
    onDropped: (device) => logger.warn({ device }, 'mqtt: queue of an offline device full, oldest message dropped'),
    onWriteError: (error) => logger.error({ err: error }, 'mqtt: session state could not be written'),
  });
}

/** What a rule may name: its own site's doors, devices, terminals and users. */
function ruleScope(deps: DeviceHubDeps, sites: SiteLookup, devices: Devices): RuleScope {
  return {
    siteOf: async (kind, id) => {
      if (kind === 'door') return sites.siteOfDoor(id);
      if (kind === 'device') return (await devices.get(id))?.siteId;
      const terminal = await deps.credentials.get(id);
      return terminal?.kind === 'terminal' ? terminal.siteId ?? undefined : undefined;
    },
    // Without the roles service nobody counts as a user of a site: user-addressed notices are refused.
    isUserOf: async (userId, siteId) => ((await deps.roles?.assignments({ type: 'user', id: userId })) ?? [])
      .some((a) => a.siteId === null || a.siteId === siteId),
    roleExists: async (roleId) => (await deps.store.db.selectFrom('roles').select('id').where('id', '=', roleId).executeTakeFirst()) !== undefined,
  };
}
