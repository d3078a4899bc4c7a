// The composition root: builds every component from the validated config (with the parts in src/gateway/),
// hands each its dependencies, starts them in dependency order and closes them in reverse.
import type { Logger } from 'pino';
import type { Config } from './config/index.ts';
import { systemClock, type Clock } from './core/index.ts';
import type { MasterKeys } from './secrets/index.ts';
import { WebServer, Auth } from './http/index.ts';
import type { StatusSource, ComponentStatus } from './lifecycle/index.ts';
import { describePortClash } from './lifecycle/index.ts';
import { journalAccess, journalCalls, journalDevices } from './log/index.ts';
import { EntryPhotos, PhoneBook, type EntryReferrers } from './phonebook/index.ts';
import { CallRecords, type CallService } from './calls/index.ts';
import { TerminalEnrolment, KioskHealth, DoorStations } from './terminals/index.ts';
import { SignalingServer, DeskRegistry, SignalingHubPorts, pingSignaling, localBase, AdminChangeLog } from './signaling/index.ts';
import { join } from 'node:path';
import { SipBridge, SipMetrics, type InboundCalls, sipSettings } from './sip-bridge/index.ts';
import { createTeamsBridge } from './teams-bridge/index.ts';
import { DeviceHub, HubMetrics, settingsFromConfig, WS_PATH } from './device-hub/index.ts';
import { WorkerMetrics } from './sfu/index.ts';
import { QualityMonitor, QualityMetrics, SfuStatsSource, CallQualityRecords, qualitySettings } from './quality/index.ts';
import { Privacy, privacySettings, createHolders } from './privacy/index.ts';
import type { DoorReferences } from './sites/index.ts';
import { projectRoot } from './core/project-root.ts';
import {
  CloseCascade, StartError, type StartContext, type Services, openData, buildIdentity, startTls, startSfu, sipLegDriver, buildSipAccounts,
  buildStationEndpoint, wireInboundCalls, buildCallService, buildServiceLevel, buildAlerts, featureRoutes, firstRunLink, httpsBase, firstRunHelp,
  type ConsoleAddresses,
} from './gateway/index.ts';

export { StartError, type Services } from './gateway/index.ts';

export interface GatewayOptions {
  config: Config;
  logger: Logger;
  clock?: Clock;
  /** Path of the mediasoup-worker binary (setup builds it). */
  workerBin?: string;
  /** Where setup built the pages (default: web/dist of this checkout). */
  webDir?: string;
  /** The master key(s), when main already read them (for the log's pseudonym key); else read at start. */
  masterKeys?: MasterKeys;
  /** The process's full collection after the device hub's warm-up (DeviceHubDeps.collectGarbage); main passes it, in-process tests do not. */
  collectGarbage?: () => void;
  /** Tests only: a session-interval floor below sip.session_timer.min_seconds' 90 s (RFC 4028), so a refresh comes within seconds. */
  sessionMinSeconds?: number;
  /** Tests only: where the kernel's port ranges are read (default /proc/sys/net/ipv4/…; src/lifecycle/ephemeral-ports.ts). */
  kernelPortFiles?: { range: string; reserved: string };
}

export class Gateway {
  readonly config: Config;
  readonly logger: Logger;
  readonly #clock: Clock;
  readonly #workerBin?: string;
  readonly #webDir: string;
  readonly #masterKeys?: MasterKeys;
  readonly #collectGarbage: (() => void) | undefined;
  readonly #sessionMinSecondsForTests?: number;
  readonly #kernelPortFiles?: { range: string; reserved: string };
  readonly #closers: CloseCascade;
  readonly #sources: StatusSource[] = [];
  #services?: Services;
  #draining = false;
  #calls?: CallService;
  #closed = false;
  firstRunFile?: string;

  constructor(opts: GatewayOptions) {
    this.config = opts.config;
    this.logger = opts.logger;
    this.#clock = opts.clock ?? systemClock;
    this.#workerBin = opts.workerBin;
    this.#masterKeys = opts.masterKeys;
    this.#collectGarbage = opts.collectGarbage;
    this.#sessionMinSecondsForTests = opts.sessionMinSeconds;
    this.#kernelPortFiles = opts.kernelPortFiles;
    this.#webDir = opts.webDir ?? join(projectRoot(import.meta.dirname), 'web', 'dist');
    this.#closers = new CloseCascade(opts.logger);
  }

  get services(): Services {
    if (!this.#services) throw new Error('gateway not started');
    return this.#services;
  }

  async #step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw new StartError(name, error, describePortClash(error, this.config));
    }
  }

  /** Starts every component; on failure closes what started and throws StartError. */
  async start(): Promise<void> {
    try {
      await this.#start();
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  async #start(): Promise<void> {
    const { logger } = this;
    const clock = this.#clock;
    const step = <T>(name: string, fn: () => Promise<T>): Promise<T> => this.#step(name, fn);
    const parts = { logger, clock, step, closers: this.#closers, sources: this.#sources };
    const { config, cardKey, box, store, quota } = await openData(parts, this.config, this.#masterKeys);
    const ctx: StartContext = { ...parts, config, kernelPortFiles: this.#kernelPortFiles };
    const statusSources = (): StatusSource[] => [this.#lifecycleStatus(), ...this.#sources];
    const sessionMinSeconds = this.#sessionMinSecondsForTests ?? config.sip.session_timer.min_seconds;

    const { subjectKeys, audit, checkpoints, roles, hasher, accounts, sites, welcome, credentials, authenticator, oidc, saml, firstRun } = await buildIdentity(ctx, store, box);

    const tls = await startTls(ctx, box);

    const sfu = await startSfu(ctx, this.#workerBin);
    const workerMetrics = new WorkerMetrics({ pool: sfu });
    this.#closers.push({ name: 'sfu-metrics', close: () => workerMetrics.close() });
    // The hub's rules reach terminals, desks and calls through signaling, which needs the calls that need
    // the hub's doors: the hub gets these ports now, and they are bound to signaling before the hub starts.
    const hubPorts = new SignalingHubPorts();
    const deviceHub = new DeviceHub({
      store, audit, credentials, roles, sites, clock, tls, ports: hubPorts, logger: logger.child({ component: 'mqtt' }), settings: settingsFromConfig(config),
      cardKey, collectGarbage: this.#collectGarbage,
    });
    this.#closers.push({ name: 'journal-devices', close: journalDevices(deviceHub.observer, logger) });
    const hubMetrics = new HubMetrics({ hub: deviceHub });
    this.#closers.push({ name: 'mqtt-metrics', close: () => hubMetrics.close() });
    // The SIP bridge's accounts register in the background once the listeners are up (below).
    const sip = await step('sip', async () => new SipBridge({ settings: sipSettings(config), clock, logger: logger.child({ component: 'sip' }) }));
    this.#sources.push(deviceHub, sip, createTeamsBridge());

    const sipLegs = sipLegDriver(ctx, sip, audit, sessionMinSeconds);
    // referrers: the door stations (made below, asked only once both run) whose button rings an entry, and the admin SIP accounts' inbound numbers.
    const entryReferrers: EntryReferrers = {
      // Read inside the deleting transaction, from the tables (review s25 #10): see PhoneBook.remove.
      namesOf: async (entryId, within) => ({ stations: await doorStations.namesRinging(entryId, within), numbers: await sipAccounts.numbersRinging(entryId, within) }),
      release: async (actor, entryId): Promise<void> => { await doorStations.releaseEntry(actor, entryId); await sipAccounts.releaseEntry(actor, entryId); },
    };
    const phonebook = new PhoneBook({ store, audit, clock, sites, sipAccounts: (id): boolean => sipAccounts.exists(id), referrers: entryReferrers });
    await step('phonebook', () => phonebook.load());
    // The entries' photos (personal data; shown by a site's kiosks only where its start screen allows it).
    const photos = new EntryPhotos({ store, audit, clock, phonebook, maxBytes: config.web.photo_max_kib * 1024 });
    const sipAccounts = await buildSipAccounts(ctx, { store, audit, box, sip, phonebook, credentials });
    // SIP door stations (src/terminals/door-stations.ts): their digest secrets sealed under the master key.
    const doorStations: DoorStations = new DoorStations({ store, audit, clock, box, lookups: {
      siteOfDoor: (doorId, within) => sites.siteOfDoor(doorId, within), siteExists: (siteId) => sites.exists(siteId), siteOfEntry: (entryId, within) => phonebook.siteOfEntry(entryId, within),
    } });
    await step('door-stations', () => doorStations.load());
    const doorReferences: DoorReferences = {
      // What needs a door: terminals and devices bound to it (not revoked), door stations at it, the hub's rules and pending commands —
      // read inside the deleting transaction (Sites.deleteDoor), never from memory or before it.
      holders: async (tx, siteId, doorId) => [
        ...await credentials.labelsAtDoor(doorId, tx), ...await doorStations.namesAtDoor(doorId, tx), ...await deviceHub.doorHolders(tx, siteId, doorId)],
      release: (tx, siteId, doorId) => deviceHub.releaseDoor(tx, siteId, doorId),
    };
    const stationEndpoint = buildStationEndpoint(ctx, tls, doorStations);
    const sipMetrics = new SipMetrics({ accounts: sipAccounts, stations: stationEndpoint?.registrar });
    this.#closers.push({ name: 'sip-metrics', close: () => sipMetrics.close() });
    const desks = new DeskRegistry();
    const records = new CallRecords(store);
    // -- personal data (src/privacy): every holder is registered here, once; retention starts with the hub (below) --
    const privacyConfig = privacySettings(config);
    const privacy = new Privacy({
      audit, clock, logger: logger.child({ component: 'privacy' }), pruneEveryMs: privacyConfig.pruneEveryMs,
      wipeJournals: async () => { const sessions = deviceHub.truncateSessionWal(); return await store.truncateWal() && sessions; },
      shredKeys: (id, kinds) => subjectKeys.shred(id, kinds),
      holders: createHolders({ store, audit, phonebook, photos, settings: privacyConfig, slaRetentionDays: config.sla.retention_days, sessionsEnded: (userId) => accounts.sessionsEnded(userId), hub: deviceHub }),
    });
    // -- call quality (src/quality): watches every call's media; closed after the calls, before the store --
    const quality = new QualityMonitor({ clock, stats: new SfuStatsSource(), recorder: new CallQualityRecords(store), settings: qualitySettings(config) });
    quality.on('error', (error) => logger.warn({ err: error }, 'quality: reading stats or storing a call summary failed'));
    this.#closers.push({ name: 'quality', close: () => quality.close() });
    // The calls from the PBX and the stations (wired below, once signaling runs); the call service asks them only once calls run.
    const calls = buildCallService(ctx, {
      phonebook, desks, records, audit, quality, sfu, sites, roles, credentials, deviceHub, doorStations, sipLegs,
      inbound: { byParticipant: (participantId) => inbound.byParticipant(participantId) },
    });
    this.#calls = calls;
    // The operator's journal: one info line per call started, answered, ended (src/log/operator-journal.ts).
    this.#closers.push({ name: 'journal', close: journalCalls(calls, logger) });
    const metrics = new QualityMetrics({ calls, quality });
    this.#closers.push({ name: 'metrics', close: () => metrics.close() });
    const enrolment = new TerminalEnrolment({ store, credentials, audit, clock, codeTtlMs: config.calls.pairing_code_minutes * 60_000 });
    this.#closers.push({ name: 'journal-access', close: journalAccess({ accounts, enrolment, credentials }, logger) });
    // Each kiosk's health (src/terminals/kiosk-health.ts): reports over signaling, alerts, the sites' availability, remote reload.
    const kiosk = new KioskHealth({ clock, credentials, audit, settings: {
      offlineGraceMs: config.sla.kiosk_offline_grace_seconds * 1000, reportMs: config.sla.kiosk_report_seconds * 1000,
      deviceCheckMs: config.sla.kiosk_device_check_seconds * 1000,
      reportsPerMinute: config.sla.kiosk_reports_per_minute,
    } });
    this.#closers.push({ name: 'kiosk-health', close: () => kiosk.close() });
    await step('kiosk-health', () => kiosk.start());
    const importLookups = {
      userIdByLogin: async (login: string) => (await accounts.list()).find((u) => u.login === login)?.id,
      roleExists: async (roleId: string) => (await roles.list()).some((r) => r.id === roleId),
    };

    // The probe also signs in through socket.io on the localhost HTTP listener with its credential (renewed below, before it starts).
    let probeSecret: string | undefined;
    const probeSignaling = (signal: AbortSignal): Promise<void> => {
      const base = localBase(web.httpServer?.address());
      if (!base || !probeSecret) return Promise.reject(new Error('no localhost HTTP listener'));
      return pingSignaling({ base, secret: probeSecret }, signal);
    };
    const { serviceLevel, sampler, probe, budget, slaMetrics, availabilityMetrics } = buildServiceLevel(ctx, {
      store, audit, sites, kiosk, sfu, statusSources, drained: () => this.#draining, probeSignaling,
    });

    const alerts = buildAlerts(ctx, { probe, quality, sip, sfu, deviceHub, quota, budget, kiosk, checkpoints });

    const web = new WebServer({ http: config.http, https: config.https, trustProxy: config.web.trust_proxy, tls, logger });
    this.#closers.push({ name: 'http', close: () => web.close() });
    const auth = new Auth({ authenticator, roles });
    // The admin page's changes, numbered: its sign-in check (/api/auth/me) reads the mark its live socket's first connect hands back.
    const adminChanges = new AdminChangeLog();
    // Each feature's routes are a fastify plugin (its own encapsulated context) talking to a component's facade.
    web.routes(featureRoutes({
      config, clock, webDir: this.#webDir, statusSources, web, auth, store, quota, audit, accounts, roles, firstRun, oidc, saml, adminChanges, sites,
      doorReferences, welcome, phonebook, photos, importLookups, privacy, credentials, enrolment, kiosk, doorStations, stationEndpoint, calls, sip,
      sipAccounts, deviceHub, sfu, tls, quality, metrics, slaMetrics, availabilityMetrics, hubMetrics, sipMetrics, workerMetrics,
      serviceLevel, alerts,
    }));
    await step('http', () => web.start());
    this.#sources.push(web);

    // -- calls and signaling wiring (src/calls, src/signaling): built and bound to the hub's ports before the hub starts --
    this.#closers.push({ name: 'mqtt', close: () => deviceHub.close() });
    const signaling = new SignalingServer({
      calls, records, phonebook, photos, roles, credentials, sites, welcome, accounts, authenticator, clock, desks, quality, kiosk,
      admin: { audit, quality, devices: deviceHub.observer, kiosk, alerts, changes: adminChanges, ...(stationEndpoint ? { stations: stationEndpoint.registrar } : {}) },
      logger: logger.child({ component: 'signaling' }), allowHandshake: web.origins.allowHandshake,
      graceMs: config.calls.reconnect_grace_seconds * 1000,
      maxEventBytes: config.calls.max_event_kib * 1024,
    });
    this.#closers.push({ name: 'signaling', close: () => signaling.close() });
    // Closed first: running calls end with "shutdown" while their parties can still hear it.
    this.#closers.push({ name: 'calls', close: () => calls.close() });
    hubPorts.bind(signaling);
    this.#sources.push(signaling);

    // -- device hub wiring (src/device-hub): a timer or message firing at once finds signaling there --
    await step('mqtt', () => deviceHub.start());
    deviceHub.attachWebSocket(web.httpsServer);
    deviceHub.attachWebSocket(web.httpServer);
    signaling.attach([web.httpsServer!, web.httpServer!].filter(Boolean));
    web.allowUpgrades({ prefixes: ['/socket.io/'], paths: [WS_PATH] });

    const inbound: InboundCalls = wireInboundCalls(ctx, { calls, signaling, audit, sip, stationEndpoint, doorStations, phonebook, sessionMinSeconds });
    // Closed before the SIP bridge and the hub, so their shutdown raises no alert (built above: the routes and signaling read it).
    this.#closers.push({ name: 'alerts', close: () => alerts.close() });
    await step('sip', () => sip.start());
    if (stationEndpoint) {
      await step('door-stations', () => stationEndpoint.start());
      this.#sources.push(stationEndpoint);
    }

    this.#closers.push({ name: 'privacy', close: () => privacy.close() });
    await step('privacy', () => privacy.start());
    this.#services = { store, audit, roles, accounts, hasher, credentials, sites, doorReferences, entryReferrers, firstRun, tls, sfu, web, phonebook, photos, calls, enrolment, doorStations, stationEndpoint, signaling, deviceHub, quality, sip, sipAccounts, sipInbound: inbound, sipLegs, alerts, kiosk, privacy, probe };
    // -- service level wiring (src/quality): the gap since the last run is recorded, then every component's
    // state is sampled and the synthetic probe sends media through a worker; both close first --
    this.#closers.push({ name: 'health-samples', close: () => sampler.close() });
    await step('sla', () => sampler.start());
    this.#closers.push({ name: 'probe', close: () => probe.close() });
    probeSecret = (await step('sla', () => credentials.renewProbe())).secret;
    probe.start();
    void budget.check(); // the gap just recorded may already have used the month's budget

    const created = await step('first-run', () => firstRun.ensureAdmin((token) => this.#firstRunLink(token)));
    if (created) {
      this.firstRunFile = created.file;
      // Only the file's path is logged; the link itself never reaches the log.
      logger.warn({ file: created.file }, 'first run: the link that sets the admin password is in this file');
    }
  }

  #console(): ConsoleAddresses {
    return { httpHost: this.config.http.host, tls: this.services.tls, web: this.services.web };
  }

  #firstRunLink(token: string): string {
    return firstRunLink(this.#console(), token);
  }

  /** Where people open the pages (the ready line names them: an operator copies them from the console). */
  pageUrls(): { admin: string; desk: string; terminal: string } {
    const base = httpsBase(this.#console());
    return { admin: `${base}/admin`, desk: `${base}/desk`, terminal: `${base}/terminal` };
  }

  /** What to do with the first-run link, for the console (DE/EN): see console-links.ts. */
  firstRunHelp(link: string): string {
    return firstRunHelp(this.#console(), link);
  }

  #lifecycleStatus(): StatusSource {
    return { name: 'gateway', status: (): ComponentStatus => ({ state: this.#closed ? 'closed' : this.#draining ? 'draining' : 'ready' }) };
  }

  /** Stops accepting new work and waits at most `timeoutMs` for running calls. */
  async drain(timeoutMs: number): Promise<void> {
    this.#draining = true;
    this.logger.info({ timeoutMs }, 'gateway: draining');
    const calls = this.#calls;
    if (!calls) return;
    calls.stopAccepting();
    const deadline = Date.now() + timeoutMs;
    while (calls.activeCalls.length > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const done = () => { clearTimeout(t); calls.off('ended', done); resolve(); };
        const t = setTimeout(done, Math.min(250, deadline - Date.now()));
        calls.on('ended', done);
      });
    }
    this.logger.info({ remaining: calls.activeCalls.length }, 'gateway: drained');
  }

  /** Closes every started component in reverse start order (idempotent). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#closers.closeAll();
  }
}
