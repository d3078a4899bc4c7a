// The device hub: broker, listeners, device identities, the door-command outbox,
// door states, the payload contract, the rules engine and the built-in flows
// (built in hub-parts.ts), started in order and closed in reverse. Its parts are
// its own: the rest of Portier uses the facade below, the ports (doorControl,
// publish, the privacy participant) and the observer. Its /ready entry is `mqtt`.
import type { Server as HttpServer } from 'node:http';
import type { Credential } from '../credentials/index.ts';
import { InvalidError, NotFoundError, TypedEmitter } from '../core/index.ts';
import type { Actor } from '../audit/index.ts';
import type { ComponentStatus, StatusSource } from '../lifecycle/index.ts';
import type { DoorControl, UnlockRequest, UnlockResult } from '../sites/index.ts';
import { WS_PATH, type Listeners } from './listeners.ts';
import type { Device, DevicePatch, RegisterDevice } from './devices.ts';
import { parseDeviceMessage, type DoorCommandPayload } from './payloads.ts';
import type { HubEvent } from './messages.ts';
import type { Card, CardInput, CardPatch } from './cards.ts';
import type { StoredRule, RuleVersion } from './rules/rule-store.ts';
import type { Evaluation } from './rules/engine.ts';
import { readRuleFiles, RuleFileWatcher } from './rules/rule-files.ts';
import { deviceTopic, deviceTopics, doorCommandTopic, parseDeviceTopic, type DeviceIdentity } from './topics.ts';
import { topicMatches } from './rules/match.ts';
import { buildParts, DEFAULT_RETENTION, type DeviceHubDeps, type HubParts } from './hub-parts.ts';
import { HubObserver } from './observer.ts';
import { InFlight } from './in-flight.ts';
import { doorHoldersInHub, releaseDoorInHub } from './door-references.ts';
import { buildPacketNumberCache } from './packet-numbers.ts';
import type { Tx } from '../store/index.ts';
import type { RefusalReason } from './broker-auth.ts';

/** A door as the hub knows it (doorStatus). */
export interface DoorStatus {
  /** The last state its controller reported (closed, open, held-open, forced); null: none reported yet. */
  state: string | null;
  /** Whether the door is locked, as its controller last reported; null: it does not say (or nothing reported yet). */
  locked: boolean | null;
  /** When that state was stored (ms since the epoch). */
  at: number | null;
  /** A controller of this door is connected (online), registered but not connected (offline), or there is none. */
  controller: 'online' | 'offline' | 'none';
}

export type { DeviceHubDeps, DeviceHubSettings } from './hub-parts.ts';

/** What the broker carries (DeviceHub.traffic): its connections now, its messages and refusals since start. */
export interface HubTraffic {
  /** Authenticated connections by the kind they authenticated as (a kind with none is absent). */
  online: Map<DeviceIdentity['kind'], number>;
  /** Connections that have not authenticated yet. */
  pending: number;
  /** Device PUBLISHes the ACL let through. */
  received: number;
  /** Of those, the ones that failed the payload contract (dead-lettered). */
  invalid: number;
  /** Messages handed to connected devices and integrations (their delivery ACL passed). */
  delivered: number;
  /** Messages the gateway published itself: door commands and states, alerts, dead letters. */
  published: number;
  refused: Partial<Record<RefusalReason, number>>;
}

/** Start-up warm-up (see DeviceHub.#warm): messages read, and packets through the broker. */
const WARM_MESSAGES = 2_000;
const WARM_PACKETS = 500;
const WARM_CARD_READ = '{"card":"warm-up","format":"uid"}';

export type DeviceHubEvents = { rulesReloaded: [{ ok: boolean; error?: string }] };

export class DeviceHub extends TypedEmitter<DeviceHubEvents> implements StatusSource {
  readonly name = 'mqtt';
  /** Presence, refusals, device messages, door commands and rule runs, for watchers (alerts, tests). */
  readonly observer: HubObserver;
  readonly #d: DeviceHubDeps;
  readonly #p: HubParts;
  readonly #inFlight: InFlight;
  #watcher?: RuleFileWatcher;
  #ruleError?: string;
  #state: ComponentStatus['state'] = 'starting';
  #closed = false;
  readonly #onRevoked = (c: Credential) => this.#p.credentialEnded(c, 'revoked');
  readonly #onRotated = (c: Credential) => this.#p.credentialEnded(c, 'rotated');

  constructor(deps: DeviceHubDeps) {
    super();
    this.#d = deps;
    const p = buildParts(deps);
    this.#p = p;
    this.#inFlight = new InFlight((error) => deps.logger.error({ err: error }, 'builtin flow failed'));
    this.observer = new HubObserver(p);
    p.messages.on('event', (event) => {
      if (!event.fresh || this.#ruleIsFor(event)) this.#inFlight.track(p.engine.handle(event));
      const flow = p.builtins.handle(event);
      if (flow) this.#inFlight.trackFlow(flow);
    });
    deps.credentials.on('revoked', this.#onRevoked);
    deps.credentials.on('rotated', this.#onRotated);
  }

  async start(): Promise<void> {
    const { settings, logger } = this.#d;
    const p = this.#p;
    await p.broker.start();
    await p.timers.start();
    await p.outbox.start();
    await p.doorStates.republish();
    await p.retention.start();
    await this.reloadRules();
    await this.#warm();
    if (settings.rulesDir) {
      this.#watcher = new RuleFileWatcher(settings.rulesDir, this.#d.clock, logger, () => void this.reloadRules());
    }
    await p.listeners.listenTcp(settings.host, settings.tcpPort);
    if (settings.tlsPort !== null && this.#d.tls) await p.listeners.listenTls(settings.host, settings.tlsPort, this.#d.tls);
    this.#state = 'ready';
    logger.info({ ...p.listeners.ports, ws: WS_PATH }, 'mqtt: listening');
  }

  /**
   * Before the listeners open, the path of a card read runs cold no more: the
   * card lookup and the unlock's transaction (BuiltinFlows.warm, rolled back),
   * reading the message and the broker's part (Broker.warm, on a topic nobody
   * receives). A cold process spent the first second of 1 000 reads/s compiling
   * and collecting (issue 16 part 2). mqtt-packet's number cache is built here
   * too (packet-numbers.ts), before the full collection that makes it old.
   * Nothing is written, sent or counted.
   */
  async #warm(): Promise<void> {
    const p = this.#p;
    buildPacketNumberCache(); // 7.2 MiB, collected into the old generation below, not under the first reads
    const door = await p.builtins.warm();
    if (!door) return;
    const reader: DeviceIdentity = { id: 'warm-up', kind: 'card-reader', siteId: door.siteId, doorId: door.doorId, terminalId: null };
    const read = { device: reader, topic: deviceTopic(door.siteId, reader.id, 'card'), payload: Buffer.from(WARM_CARD_READ) };
    p.messages.rehearse(reader, read.topic, read.payload, WARM_MESSAGES);
    const expires = this.#d.clock.now() + this.#d.settings.commandAckMs;
    const payload = Buffer.from(JSON.stringify({ id: 'warm-up', action: 'unlock', seconds: 1, expires_at: expires } satisfies DoorCommandPayload));
    await p.broker.warm(WARM_PACKETS, read, { device: { ...reader, kind: 'door' }, topic: doorCommandTopic(door.siteId, door.doorId), payload });
    this.#d.collectGarbage?.();
  }

  /** Serves MQTT over WebSocket at /mqtt on a web server (call after it listens). */
  attachWebSocket(server: HttpServer | undefined): void {
    this.#p.listeners.attachWebSocket(server);
  }

  /**
   * Re-reads the rule files: a bad file is rejected (the error names file, rule
   * and field) and the previous rules stay active. Connections are untouched.
   */
  async reloadRules(): Promise<{ ok: boolean; error?: string }> {
    const dir = this.#d.settings.rulesDir;
    try {
      if (dir) await this.#p.rules.syncFiles(readRuleFiles(dir));
      this.#ruleError = undefined;
    } catch (error) {
      this.#ruleError = error instanceof Error ? error.message : String(error);
      this.#d.logger.error({ error: this.#ruleError }, 'rules: rule files rejected, previous rules stay active');
    }
    await this.#p.engine.reload();
    const result = this.#ruleError ? { ok: false, error: this.#ruleError } : { ok: true };
    this.safeEmit('rulesReloaded', result);
    return result;
  }

  // -- ports: what other components are handed at the composition root --

  /** Door unlocks for the calls (recorded with their audit entry, sent, acknowledged or expired). */
  get doorControl(): DoorControl { return this.#p.outbox; }

  /** Publishes on the embedded broker as the gateway (alerts; no ACL on publish, delivery still filtered). */
  publish(topic: string, payload: string, opts: { qos?: 0 | 1; retain?: boolean } = {}): Promise<void> {
    return this.#p.broker.publish(topic, payload, opts);
  }

  /** The hub's records past their retention days go (audited with counts); the privacy service runs it too. */
  pruneExpired(): Promise<{ commands: number; visitorCards: number }> { return this.#p.retention.prune(); }

  /** Days settled door commands and ended visitor badges are kept (device_hub.*_retention_days). */
  get retentionDays(): { commands: number; visitorCards: number } {
    const r = this.#d.settings.retention ?? DEFAULT_RETENTION;
    return { commands: r.commandDays, visitorCards: r.visitorCardDays };
  }

  // -- the facade: what routes and other components ask of the hub, in intentions --

  /** The devices (of a site), each with its presence. */
  async listDevices(siteId?: string): Promise<Array<Device & { online: boolean }>> {
    return (await this.#p.devices.list(siteId)).map((device) => ({ ...device, online: this.#p.broker.isOnline(device.id) }));
  }

  /**
   * What the hub knows of each door of a site that has a controller or a reported state:
   * the last state its controller reported (null: none yet) and whether a controller
   * (a door or panel device of that door, not revoked) is connected now.
   */
  async doorStatus(siteId: string): Promise<Map<string, DoorStatus>> {
    const status = new Map<string, DoorStatus>();
    const of = (doorId: string) => status.get(doorId) ?? status.set(doorId, { state: null, locked: null, at: null, controller: 'none' }).get(doorId)!;
    for (const r of await this.#p.doorStates.ofSite(siteId)) Object.assign(of(r.doorId), { state: r.state, locked: r.locked, at: r.at });
    for (const device of await this.#p.devices.list(siteId)) {
      if ((device.kind !== 'door' && device.kind !== 'panel') || !device.doorId || device.revoked) continue;
      const door = of(device.doorId);
      if (this.#p.broker.isOnline(device.id)) door.controller = 'online';
      else if (door.controller === 'none') door.controller = 'offline';
    }
    return status;
  }

  /** What of the hub still needs a door (rules naming it, a pending command), by name, read `within` the door's deletion; see door-references.ts. */
  doorHolders(within: Tx, siteId: string, doorId: string): Promise<string[]> {
    return doorHoldersInHub(within, siteId, doorId);
  }

  /** Drops what of the hub only records a door (its state, settled commands, cards' door lists), in the door's deletion. */
  releaseDoor(tx: Tx, siteId: string, doorId: string): Promise<void> {
    return releaseDoorInHub(tx, siteId, doorId);
  }

  /** Registers a device; its secret is in the answer, once. */
  registerDevice(actor: Actor, input: RegisterDevice): Promise<{ device: Device; secret: string }> {
    return this.#p.devices.register(actor, input);
  }

  /** A device by id; not-found when unknown. */
  device(id: string): Promise<Device> { return this.#p.devices.require(id); }

  rotateDevice(actor: Actor, id: string): Promise<{ device: Device; secret: string }> { return this.#p.devices.rotate(actor, id); }

  revokeDevice(actor: Actor, id: string): Promise<Device> { return this.#p.devices.revoke(actor, id); }

  /** Renames, re-kinds or moves a device (audited); a connected device whose kind, site or door changed is disconnected so it comes back as what it now is. */
  async updateDevice(actor: Actor, id: string, patch: DevicePatch): Promise<Device> {
    const { device, identityChanged } = await this.#p.devices.update(actor, id, patch);
    if (identityChanged) this.#p.broker.disconnect(id, 'changed');
    return device;
  }

  /** Deletes a device (its credential revoked, its connection and stored session gone); audited. */
  async removeDevice(actor: Actor, id: string): Promise<void> {
    await this.#p.devices.remove(actor, id);
    // The revocation's own disconnect looks the device up, which may already be gone here.
    this.#p.broker.disconnect(id, 'deleted');
    this.#p.broker.forgetSession(id);
  }

  /** How a device reaches the broker: its user name, the listeners' ports and its topics (what its ACL allows). */
  async deviceConnection(id: string): Promise<{ username: string; ports: { tcp: number; tls: number }; topics: { publish: string[]; subscribe: string[] } }> {
    const device = await this.#p.devices.require(id);
    return { username: device.id, ports: this.#p.listeners.ports, topics: deviceTopics(device) };
  }

  /** Changes a card's holder, validity or doors (its number stays; audited). */
  updateCard(actor: Actor, id: string, patch: CardPatch): Promise<Card> { return this.#p.cards.update(actor, id, patch); }

  /** The cards (of a site), never their numbers. */
  listCards(siteId?: string): Promise<Card[]> { return this.#p.cards.list(siteId); }

  addCard(actor: Actor, input: CardInput): Promise<Card> { return this.#p.cards.add(actor, input); }

  card(id: string): Promise<Card | undefined> { return this.#p.cards.get(id); }

  /** Removes a card (audited); the privacy service erases a holder's cards through it. */
  removeCard(actor: Actor, id: string): Promise<void> { return this.#p.cards.removeById(actor, id); }

  listRules(siteId?: string): Promise<StoredRule[]> { return this.#p.rules.list(siteId); }

  rule(id: string): Promise<StoredRule | undefined> { return this.#p.rules.get(id); }

  ruleVersions(id: string): Promise<RuleVersion[]> { return this.#p.rules.versions(id); }

  /** Saves a rule (checked against real ids, versioned, audited) and makes it active at once. */
  async putRule(actor: Actor, value: unknown): Promise<StoredRule> {
    const rule = await this.#p.rules.put(actor, value);
    await this.#p.engine.reload();
    return rule;
  }

  /** Removes a rule and stops it at once. */
  async removeRule(actor: Actor, id: string): Promise<void> {
    await this.#p.rules.remove(actor, id);
    await this.#p.engine.reload();
  }

  /** What the rules would do with a message from a device, without doing it. */
  async dryRun(input: { deviceId: string; topic: string; payload: unknown }): Promise<Evaluation[]> {
    const device = await this.#p.devices.require(input.deviceId);
    const t = parseDeviceTopic(input.topic);
    if (!t || t.deviceId !== device.id || t.siteId !== device.siteId) throw new InvalidError(`topic must be portier/${device.siteId}/${device.id}/<leaf>`);
    const parsed = parseDeviceMessage(t.leaf, JSON.stringify(input.payload));
    if (!parsed.ok) throw new InvalidError(`payload: ${parsed.reason}`);
    return this.#p.engine.dryRun({
      siteId: device.siteId, deviceId: device.id, deviceKind: device.kind, doorId: device.doorId,
      terminalId: device.terminalId, credentialId: device.credentialId, topic: input.topic, message: parsed.message, at: this.#d.clock.now(), fresh: true,
    });
  }

  /** Unlocks a door through the outbox: recorded with its audit entry, sent, acknowledged or expired. */
  openDoor(request: UnlockRequest): Promise<UnlockResult> { return this.#p.outbox.unlock(request); }

  /** After an erasure: the MQTT session file keeps no old page images in its WAL. */
  truncateSessionWal(): boolean { return this.#p.broker.truncateSessionWal(); }

  /** The MQTT listeners' bound ports (TCP, TLS). */
  get mqttPorts(): Listeners['ports'] { return this.#p.listeners.ports; }

  /** Messages the broker has routed since start: rises while devices talk (main waits for a quiet spell to release start-up memory). */
  get messagesRouted(): number { return this.#p.broker.counters.messages; }

  /** What the broker carries, read when asked (/metrics): plain counters, nothing computed per message. */
  traffic(): HubTraffic {
    const { broker, messages } = this.#p;
    const { counters } = broker;
    return {
      online: broker.onlineByKind(), pending: broker.pendingConnections, received: counters.messages, invalid: messages.counters.invalid,
      delivered: counters.delivered, published: counters.published, refused: { ...counters.refused },
    };
  }

  async siteOfDoor(doorId: string): Promise<string> {
    const siteId = await this.#p.sites.siteOfDoor(doorId);
    if (!siteId) throw new NotFoundError(`door ${doorId} not found`);
    return siteId;
  }

  status(): ComponentStatus {
    const { broker, listeners, messages, engine } = this.#p;
    return {
      state: this.#state,
      ...listeners.ports, ws: WS_PATH,
      persistence: broker.persistence, ...(broker.sessions ? { sessions: broker.sessions } : {}),
      connections: broker.connections,
      pendingConnections: broker.pendingConnections,
      devices: { online: broker.onlineDevices.length },
      messages: { ...messages.counters, routed: broker.counters.messages },
      refused: broker.counters.refused,
      rules: { active: engine.rules.length, ...(this.#ruleError ? { error: this.#ruleError } : {}) },
    };
  }

  /** The engine's first test of each rule (site, trigger topic): an event no rule is for costs no promise. */
  #ruleIsFor(event: HubEvent): boolean {
    for (const rule of this.#p.engine.rules) if (rule.site === event.siteId && topicMatches(rule.trigger.topic, event.topic)) return true;
    return false;
  }

  /** Resolves when every received message and the rules and flows it started are handled. */
  async idle(): Promise<void> {
    for (let round = 0; round < 100; round++) {
      await this.#p.messages.idle();
      if (this.#inFlight.count === 0) return;
      await this.#inFlight.drained();
    }
  }

  get closed(): boolean { return this.#closed; }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#state = 'closed';
    const p = this.#p;
    p.presence.close();
    this.#d.credentials.off('revoked', this.#onRevoked);
    this.#d.credentials.off('rotated', this.#onRotated);
    this.#watcher?.close();
    p.timers.close();
    p.retention.close();
    p.outbox.close();
    const listening = p.listeners.close();
    await p.broker.close();
    await listening;
    await this.idle();
  }
}
