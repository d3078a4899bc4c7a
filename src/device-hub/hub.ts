// The device hub: broker, listeners, device identities, the door-command outbox,
// door states, the payload contract, the rules engine and the built-in flows,
// composed and started in order and closed in reverse. Its /ready entry is `mqtt`.
import type { Server as HttpServer } from 'node:http';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Store } from '../store/index.ts';
import type { AuditLog } from '../audit/index.ts';
import type { Credential, Credentials } from '../credentials/index.ts';
import { InvalidError, NotFoundError, TypedEmitter, type Clock } from '../core/index.ts';
import type { Actor } from '../audit/index.ts';
import type { ComponentStatus, StatusSource } from '../lifecycle/index.ts';
import type { DeviceHubTables, HubTables } from './tables.ts';
import { Broker, type BrokerLimits } from './broker.ts';
import { Listeners, WS_PATH, type TlsMaterialSource } from './listeners.ts';
import { Devices, type Device, type RegisterDevice } from './devices.ts';
import { DoorOutbox } from './outbox.ts';
import { Sites, type SiteLookup, type UnlockRequest, type UnlockResult } from '../sites/index.ts';
import { DoorStates } from './door-states.ts';
import { parseDeviceMessage } from './payloads.ts';
import { DeviceMessages, type HubEvent } from './messages.ts';
import { Timers } from './timers.ts';
import { Cards, type Card, type CardInput } from './cards.ts';
import { BuiltinFlows } from './builtins.ts';
import { RuleStore, type StoredRule, type RuleVersion } from './rules/rule-store.ts';
import { RuleEngine, type Evaluation } from './rules/engine.ts';
import type { RuleScope } from './rules/rule-scope.ts';
import { readRuleFiles, RuleFileWatcher } from './rules/rule-files.ts';
import { deviceTopic, parseDeviceTopic, parseDoorCommandTopic } from './topics.ts';
import { topicMatches } from './rules/match.ts';
import type { HubPorts } from './ports.ts';
import { SqlitePersistence } from './persistence/sqlite-persistence.ts';
import { HubRetention, type HubRetentionSettings } from './retention.ts';

export interface DeviceHubSettings {
  host: string;
  tcpPort: number;
  /** null: no TLS listener. */
  tlsPort: number | null;
  limits: BrokerLimits;
  commandAckMs: number;
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
}

export type DeviceHubEvents = { rulesReloaded: [{ ok: boolean; error?: string }] };

export class DeviceHub extends TypedEmitter<DeviceHubEvents> implements StatusSource {
  readonly name = 'mqtt';
  readonly devices: Devices;
  readonly broker: Broker;
  readonly listeners: Listeners;
  readonly outbox: DoorOutbox;
  readonly doorStates: DoorStates;
  readonly messages: DeviceMessages;
  readonly timers: Timers;
  readonly cards: Cards;
  readonly rules: RuleStore;
  readonly engine: RuleEngine;
  readonly builtins: BuiltinFlows;
  readonly retention: HubRetention;
  readonly #d: DeviceHubDeps;
  readonly #db: Kysely<HubTables>;
  readonly #zones = new Map<string, string>();
  readonly #sites: SiteLookup;
  #watcher?: RuleFileWatcher;
  #ruleError?: string;
  #state: ComponentStatus['state'] = 'starting';
  #closed = false;
  readonly #onRevoked = (c: Credential) => this.#credentialEnded(c, 'revoked');
  readonly #onRotated = (c: Credential) => this.#credentialEnded(c, 'rotated');

  constructor(deps: DeviceHubDeps) {
    super();
    this.#d = deps;
    const { store, audit, clock, logger, settings } = deps;
    this.#db = store.db.withTables<DeviceHubTables>();
    // Given at construction and never replaced: the composition root binds them before start().
    const ports: HubPorts = deps.ports ?? {};
    // Components ask Sites about doors and sites instead of reading their tables.
    const sites = deps.sites ?? new Sites({ store, audit, clock });
    this.#sites = sites;
    this.devices = new Devices({ store, credentials: deps.credentials, clock, sites });
    const sessions = settings.sessions?.kind === 'sqlite'
      ? new SqlitePersistence({
        path: settings.sessions.path, maxQueuedPerClient: settings.sessions.maxQueuedPerDevice,
        onDropped: (device) => logger.warn({ device }, 'mqtt: queue of an offline device full, oldest message dropped'),
        onWriteError: (error) => logger.error({ err: error }, 'mqtt: session state could not be written'),
      })
      : undefined;
    this.broker = new Broker({ devices: this.devices, logger, clock, limits: settings.limits, sessions });
    this.listeners = new Listeners(this.broker, settings.limits.maxPacketBytes);
    const publish = (topic: string, payload: string) => this.broker.publish(topic, payload, { qos: 1 });
    const publishRetained = (topic: string, payload: string) => this.broker.publish(topic, payload, { qos: 1, retain: true });
    this.timers = new Timers({ db: this.#db, clock, logger });
    this.outbox = new DoorOutbox({
      db: this.#db, audit, clock, logger, ackTimeoutMs: settings.commandAckMs, publish,
      doorOnline: (doorId) => this.#doorOnline(doorId), sites,
    });
    this.doorStates = new DoorStates({ db: this.#db, clock, publishRetained });
    this.messages = new DeviceMessages({ logger, clock, outbox: this.outbox, states: this.doorStates, publish });
    this.cards = new Cards({ db: this.#db, clock, audit, key: deps.cardKey, sites });
    const scope: RuleScope = {
      siteOf: async (kind, id) => {
        if (kind === 'door') return sites.siteOfDoor(id);
        if (kind === 'device') return (await this.devices.get(id))?.siteId;
        const terminal = await deps.credentials.get(id);
        return terminal?.kind === 'terminal' ? terminal.siteId ?? undefined : undefined;
      },
      // Without the roles service nobody counts as a user of a site: user-addressed notices are refused.
      isUserOf: async (userId, siteId) => ((await deps.roles?.assignments({ type: 'user', id: userId })) ?? [])
        .some((a) => a.siteId === null || a.siteId === siteId),
      roleExists: async (roleId) => (await store.db.selectFrom('roles').select('id').where('id', '=', roleId).executeTakeFirst()) !== undefined,
    };
    this.rules = new RuleStore({ store, audit, clock, scope });
    this.engine = new RuleEngine({
      rules: this.rules, timers: this.timers, doors: this.outbox, ports, audit, clock, logger,
      publish: (topic, payload, retain) => this.broker.publish(topic, payload, { qos: 1, retain }),
      timeZoneOf: (siteId) => this.#timeZone(siteId), isOnline: (id) => this.broker.isOnline(id),
      scope,
    });
    this.builtins = new BuiltinFlows({
      db: this.#db, cards: this.cards, outbox: this.outbox, states: this.doorStates, timers: this.timers, devices: this.devices,
      ports, audit, clock, logger,
      opts: { unlockSeconds: settings.cardUnlockSeconds, relockGraceMs: settings.relockGraceMs, deniedReadsPerMinute: settings.deniedCardReadsPerMinute ?? 10 },
    });

    this.retention = new HubRetention({ db: this.#db, audit, clock, logger, settings: settings.retention ?? { commandDays: 90, visitorCardDays: 7 } });

    this.broker.integrations = (username, secret) => this.#integration(username, secret);
    this.broker.forwardFilter = (_device, topic, payload) => !parseDoorCommandTopic(topic) || !this.outbox.isExpired(payload);
    this.broker.on('message', (device, topic, payload, retain) => void this.messages.receive(device, topic, payload, retain));
    this.broker.on('online', (device) => void this.#presence(device, true));
    this.broker.on('offline', (device) => void this.#presence(device, false));
    // A clean-session door subscribes after CONNACK: re-send once it listens.
    this.broker.on('subscribed', (_device, topic) => {
      const door = parseDoorCommandTopic(topic);
      if (door) void this.outbox.resendPending(door.doorId).catch((error: unknown) => logger.error({ err: error }, 'outbox: re-send failed'));
    });
    this.messages.on('event', (event) => {
      if (!event.fresh || this.#ruleIsFor(event)) this.#track(this.engine.handle(event), this.#settled);
      this.#track(this.builtins.handle(event), this.#flowFailed);
    });
    deps.credentials.on('revoked', this.#onRevoked);
    deps.credentials.on('rotated', this.#onRotated);
  }

  async start(): Promise<void> {
    const { settings, logger } = this.#d;
    await this.broker.start();
    await this.timers.start();
    await this.outbox.start();
    await this.doorStates.republish();
    await this.retention.start();
    await this.reloadRules();
    await this.builtins.warm();
    if (settings.rulesDir) {
      this.#watcher = new RuleFileWatcher(settings.rulesDir, this.#d.clock, logger, () => void this.reloadRules());
    }
    await this.listeners.listenTcp(settings.host, settings.tcpPort);
    if (settings.tlsPort !== null && this.#d.tls) await this.listeners.listenTls(settings.host, settings.tlsPort, this.#d.tls);
    this.#state = 'ready';
    logger.info({ ...this.listeners.ports, ws: WS_PATH }, 'mqtt: listening');
  }

  /** Serves MQTT over WebSocket at /mqtt on a web server (call after it listens). */
  attachWebSocket(server: HttpServer | undefined): void {
    this.listeners.attachWebSocket(server);
  }

  /**
   * Re-reads the rule files: a bad file is rejected (the error names file, rule
   * and field) and the previous rules stay active. Connections are untouched.
   */
  async reloadRules(): Promise<{ ok: boolean; error?: string }> {
    const dir = this.#d.settings.rulesDir;
    try {
      if (dir) await this.rules.syncFiles(readRuleFiles(dir));
      this.#ruleError = undefined;
    } catch (error) {
      this.#ruleError = error instanceof Error ? error.message : String(error);
      this.#d.logger.error({ error: this.#ruleError }, 'rules: rule files rejected, previous rules stay active');
    }
    await this.engine.reload();
    const result = this.#ruleError ? { ok: false, error: this.#ruleError } : { ok: true };
    this.safeEmit('rulesReloaded', result);
    return result;
  }

  get doorControl(): DoorOutbox { return this.outbox; }

  // -- the facade: what routes and other components ask of the hub, in intentions --

  /** The devices (of a site), each with its presence. */
  async listDevices(siteId?: string): Promise<Array<Device & { online: boolean }>> {
    return (await this.devices.list(siteId)).map((device) => ({ ...device, online: this.broker.isOnline(device.id) }));
  }

  /** Registers a device; its secret is in the answer, once. */
  registerDevice(actor: Actor, input: RegisterDevice): Promise<{ device: Device; secret: string }> {
    return this.devices.register(actor, input);
  }

  /** A device by id; not-found when unknown. */
  device(id: string): Promise<Device> { return this.devices.require(id); }

  rotateDevice(actor: Actor, id: string): Promise<{ device: Device; secret: string }> { return this.devices.rotate(actor, id); }

  revokeDevice(actor: Actor, id: string): Promise<Device> { return this.devices.revoke(actor, id); }

  /** The cards (of a site), never their numbers. */
  listCards(siteId?: string): Promise<Card[]> { return this.cards.list(siteId); }

  addCard(actor: Actor, input: CardInput): Promise<Card> { return this.cards.add(actor, input); }

  card(id: string): Promise<Card | undefined> { return this.cards.get(id); }

  removeCard(actor: Actor, id: string): Promise<void> { return this.cards.removeById(actor, id); }

  listRules(siteId?: string): Promise<StoredRule[]> { return this.rules.list(siteId); }

  rule(id: string): Promise<StoredRule | undefined> { return this.rules.get(id); }

  ruleVersions(id: string): Promise<RuleVersion[]> { return this.rules.versions(id); }

  /** Saves a rule (checked against real ids, versioned, audited) and makes it active at once. */
  async putRule(actor: Actor, value: unknown): Promise<StoredRule> {
    const rule = await this.rules.put(actor, value);
    await this.engine.reload();
    return rule;
  }

  /** Removes a rule and stops it at once. */
  async removeRule(actor: Actor, id: string): Promise<void> {
    await this.rules.remove(actor, id);
    await this.engine.reload();
  }

  /** What the rules would do with a message from a device, without doing it. */
  async dryRun(input: { deviceId: string; topic: string; payload: unknown }): Promise<Evaluation[]> {
    const device = await this.devices.require(input.deviceId);
    const t = parseDeviceTopic(input.topic);
    if (!t || t.deviceId !== device.id || t.siteId !== device.siteId) throw new InvalidError(`topic must be portier/${device.siteId}/${device.id}/<leaf>`);
    const parsed = parseDeviceMessage(t.leaf, JSON.stringify(input.payload));
    if (!parsed.ok) throw new InvalidError(`payload: ${parsed.reason}`);
    return this.engine.dryRun({
      siteId: device.siteId, deviceId: device.id, deviceKind: device.kind, doorId: device.doorId,
      terminalId: device.terminalId, credentialId: device.credentialId, topic: input.topic, message: parsed.message, at: this.#d.clock.now(), fresh: true,
    });
  }

  /** Unlocks a door through the outbox: recorded with its audit entry, sent, acknowledged or expired. */
  openDoor(request: UnlockRequest): Promise<UnlockResult> { return this.outbox.unlock(request); }

  /** The MQTT listeners' bound ports (TCP, TLS). */
  /** After an erasure: the MQTT session file keeps no old page images in its WAL. */
  truncateSessionWal(): void { this.broker.truncateSessionWal(); }

  get mqttPorts(): Listeners['ports'] { return this.listeners.ports; }

  async siteOfDoor(doorId: string): Promise<string> {
    const siteId = await this.#sites.siteOfDoor(doorId);
    if (!siteId) throw new NotFoundError(`door ${doorId} not found`);
    return siteId;
  }

  status(): ComponentStatus {
    return {
      state: this.#state,
      ...this.listeners.ports, ws: WS_PATH,
      persistence: this.broker.persistence, ...(this.broker.sessions ? { sessions: this.broker.sessions } : {}),
      connections: this.broker.connections,
      devices: { online: this.broker.onlineDevices.length },
      messages: { ...this.messages.counters, routed: this.broker.counters.messages },
      refused: this.broker.counters.refused,
      rules: { active: this.engine.rules.length, ...(this.#ruleError ? { error: this.#ruleError } : {}) },
    };
  }

  /** The engine's first test of each rule (site, trigger topic): an event no rule is for costs no promise. */
  #ruleIsFor(event: HubEvent): boolean {
    for (const rule of this.engine.rules) if (rule.site === event.siteId && topicMatches(rule.trigger.topic, event.topic)) return true;
    return false;
  }

  /** Rule and flow runs not settled yet; idle() waits for none. */
  #inFlight = 0;
  #drained: Array<() => void> = [];
  readonly #settled = (): void => {
    if (--this.#inFlight === 0) for (const resolve of this.#drained.splice(0)) resolve();
  };
  readonly #flowFailed = (error: unknown): void => {
    this.#d.logger.error({ err: error }, 'builtin flow failed');
    this.#settled();
  };

  /** Counts `work` in flight until it settles (one reaction per run, no wrapper promises). */
  #track(work: Promise<unknown>, onRejected: (error: unknown) => void): void {
    this.#inFlight++;
    work.then(this.#settled, onRejected);
  }

  /** Resolves when every received message and the rules and flows it started are handled. */
  async idle(): Promise<void> {
    for (let round = 0; round < 100; round++) {
      await this.messages.idle();
      if (this.#inFlight === 0) return;
      await new Promise<void>((resolve) => this.#drained.push(resolve));
    }
  }

  #doorOnline(doorId: string): boolean {
    return this.broker.onlineDevices.some((id) => this.#doorOf.get(id) === doorId);
  }

  readonly #doorOf = new Map<string, string>();

  async #presence(device: { id: string; siteId: string; doorId: string | null; kind: string }, online: boolean): Promise<void> {
    if (device.kind === 'integration') return;
    try {
      if (device.doorId && (device.kind === 'door' || device.kind === 'panel')) this.#doorOf.set(device.id, device.doorId);
      await this.devices.touch(device.id);
      await this.broker.publish(deviceTopic(device.siteId, device.id, 'presence'), JSON.stringify({ online, at: this.#d.clock.now() }), { qos: 1, retain: true });
      if (online && device.doorId && this.#doorOf.has(device.id)) await this.outbox.resendPending(device.doorId);
    } catch (error) {
      if (!this.#closed) this.#d.logger.error({ device: device.id, err: error }, 'device hub: presence update failed');
    }
  }

  async #integration(username: string, secret: string): Promise<{ id: string; kind: 'integration'; siteId: string; doorId: null } | undefined> {
    const roles = this.#d.roles;
    if (!roles) return undefined;
    const credential = await this.#d.credentials.verify(secret);
    if (!credential || credential.kind !== 'api-token' || username !== credential.id) return undefined;
    if (!(await roles.can({ type: 'credential', id: credential.id }, 'device.admin'))) return undefined;
    return { id: credential.id, kind: 'integration', siteId: '*', doorId: null };
  }

  #credentialEnded(credential: Credential, why: string): void {
    if (credential.kind === 'api-token') {
      this.broker.disconnect(credential.id, why);
      if (why === 'revoked') this.broker.forgetSession(credential.id);
      return;
    }
    if (credential.kind !== 'device') return;
    void this.devices.byCredential(credential.id).then((device) => {
      if (!device) return;
      this.broker.disconnect(device.id, why);
      if (why === 'revoked') this.broker.forgetSession(device.id);
    });
  }

  async #timeZone(siteId: string): Promise<string> {
    const cached = this.#zones.get(siteId);
    if (cached) return cached;
    const zone = (await this.#sites.timeZone(siteId)) ?? 'UTC';
    this.#zones.set(siteId, zone);
    return zone;
  }

  get closed(): boolean { return this.#closed; }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#state = 'closed';
    this.#d.credentials.off('revoked', this.#onRevoked);
    this.#d.credentials.off('rotated', this.#onRotated);
    this.#watcher?.close();
    this.timers.close();
    this.retention.close();
    this.outbox.close();
    const listening = this.listeners.close();
    await this.broker.close();
    await listening;
    await this.idle();
  }
}
