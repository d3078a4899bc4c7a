// The composition root: builds every component from the validated config, hands
// each its dependencies, starts them in dependency order and closes them in reverse.
import { availableParallelism } from 'node:os';
import { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from './config/index.ts';
import { systemClock, privateDir, privateDatabase, type Clock } from './core/index.ts';
import { loadMasterKeys, openSecrets, logGeneratedKey, type MasterKeys } from './secrets/index.ts';
import { StorageQuota, storageSettings, logQuotaLevels, quotaMetrics } from './storage/index.ts';
import { storageRoutes, guardGrowingWrites } from './http/routes/storage-routes.ts';
import { Store } from './store/index.ts';
import { AuditLog, AuditCheckpoints, ReadAudit, SubjectKeys, AuditPseudonyms, AddressKeys, checkpointSettings, checkpointTargets, readWindowMs } from './audit/index.ts';
import { auditPersonalReads } from './http/read-audit-hook.ts';
import { Accounts, Roles, FirstRun, ScryptHasher, Authenticator, OidcSignIn, oidcSettings, SamlSignIn, samlSettings } from './access/index.ts';
import { oidcRoutes } from './http/routes/oidc-routes.ts';
import { samlRoutes } from './http/routes/saml-routes.ts';
import { Credentials, type Credential } from './credentials/index.ts';
import { Sites, WelcomeScreens, type DoorReferences } from './sites/index.ts';
import { TlsProvider } from './tls/index.ts';
import { WorkerPool, SfuMediaPort, MixBudget, H264_PROFILES } from './sfu/index.ts';
import { WebServer, Auth, healthRoutes, caRoutes, plainAssetRoutes, authRoutes, siteRoutes, userRoutes, credentialRoutes } from './http/index.ts';
import type { StatusSource, ComponentStatus } from './lifecycle/index.ts';
import { describePortClash } from './lifecycle/index.ts';
import { journalAccess, journalCalls, journalDevices } from './log/index.ts';
import { EntryPhotos, PhoneBook, type EntryReferrers } from './phonebook/index.ts';
import { CallService, CallRecords, type CallerRelay } from './calls/index.ts';
import { TerminalEnrolment, KioskHealth, DoorStations, type DoorStation } from './terminals/index.ts';
import { SignalingServer, DeskRegistry, SignalingHubPorts, pingSignaling, localBase, AdminChangeLog, administersAnything } from './signaling/index.ts';
import { terminalRoutes } from './http/routes/terminal-routes.ts';
import { doorStationRoutes } from './http/routes/door-station-routes.ts';
import { welcomeRoutes } from './http/routes/welcome-routes.ts';
import { photoRoutes } from './http/routes/photo-routes.ts';
import { phonebookRoutes } from './http/routes/phonebook-routes.ts';
import { pageRoutes } from './http/routes/page-routes.ts';
import { join } from 'node:path';
import { SipBridge, SipLegDriver, InboundCalls, StationEndpoint, SipReferrer, SipAccountAdmin, SipAccountStore, type InboundSipCall, sipSettings, stationSettings } from './sip-bridge/index.ts';
import { sipAccountRoutes } from './http/routes/sip-account-routes.ts';
import { createTeamsBridge } from './teams-bridge/index.ts';
import { DeviceHub, settingsFromConfig, WS_PATH } from './device-hub/index.ts';
import { deviceRoutes } from './http/routes/device-routes.ts';
import { QualityMonitor, QualityMetrics, SfuStatsSource, CallQualityRecords, qualitySettings } from './quality/index.ts';
import { metricsRoutes } from './http/routes/metrics-routes.ts';
import { SlaRecords, HealthSampler, SyntheticProbe, ServiceLevel, SlaMetrics, BudgetWatch, probeSettings, slaSettings, budgetSettings } from './quality/index.ts';
import { slaRoutes } from './http/routes/sla-routes.ts';
import { qualityRoutes } from './http/routes/quality-routes.ts';
import { Privacy, privacySettings, createHolders } from './privacy/index.ts';
import { privacyRoutes } from './http/routes/privacy-routes.ts';
import { Alerts, alertSettings } from './alerts/index.ts';
import { projectRoot } from './core/project-root.ts';

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
}

/** A component that failed to start; main prints it and exits non-zero. */
export class StartError extends Error {
  readonly component: string;
  /** `detail`: what the operator should read instead of the cause's own message (e.g. the config key of a port in use). */
  constructor(component: string, cause: unknown, detail?: string) {
    super(`${component} failed to start: ${detail ?? (cause instanceof Error ? cause.message : String(cause))}`, { cause });
    this.name = 'StartError';
    this.component = component;
  }
}

export interface Services {
  store: Store;
  audit: AuditLog;
  roles: Roles;
  accounts: Accounts;
  /** Every password hash goes through it (bounded; tests read its count). */
  hasher: ScryptHasher;
  credentials: Credentials;
  sites: Sites;
  /** What terminals, devices, door stations and the hub hold of a door, asked when it is deleted (Sites.deleteDoor). */
  doorReferences: DoorReferences;
  /** What door stations and SIP accounts hold of a phone-book entry, asked when it is deleted (PhoneBook.remove). */
  entryReferrers: EntryReferrers;
  firstRun: FirstRun;
  tls: TlsProvider;
  sfu: WorkerPool;
  web: WebServer;
  phonebook: PhoneBook;
  /** The phone-book entries' photos (src/phonebook/photos.ts). */
  photos: EntryPhotos;
  calls: CallService;
  enrolment: TerminalEnrolment;
  /** SIP door stations (src/terminals/door-stations.ts). */
  doorStations: DoorStations;
  /** The stations' SIP socket and registrar; undefined unless sip.stations.enabled. */
  stationEndpoint: StationEndpoint | undefined;
  signaling: SignalingServer;
  deviceHub: DeviceHub;
  quality: QualityMonitor;
  sip: SipBridge;
  /** The admin page's SIP accounts (src/sip-bridge/account-admin.ts). */
  sipAccounts: SipAccountAdmin;
  /** Calls from the PBX to desks (src/sip-bridge/sip-inbound.ts). */
  sipInbound: InboundCalls;
  /** Calls from terminals to telephones (src/sip-bridge/sip-leg.ts). */
  sipLegs: SipLegDriver;
  alerts: Alerts;
  kiosk: KioskHealth;
  /** The privacy contract's service: export, erasure and the retention job (prune()). */
  privacy: Privacy;
  /** The SLA's synthetic probe (media through a worker, a sign-in through socket.io). */
  probe: SyntheticProbe;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export class Gateway {
  readonly config: Config;
  readonly logger: Logger;
  readonly #clock: Clock;
  readonly #workerBin?: string;
  readonly #webDir: string;
  readonly #masterKeys?: MasterKeys;
  readonly #collectGarbage: (() => void) | undefined;
  readonly #sessionMinSecondsForTests?: number;
  readonly #closers: Array<{ name: string; close: () => unknown }> = [];
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
    this.#webDir = opts.webDir ?? join(projectRoot(import.meta.dirname), 'web', 'dist');
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
    await this.#step('data_dir', async () => {
      privateDir(this.config.data_dir);
      const sessions = settingsFromConfig(this.config).sessions;
      for (const db of [this.config.store.path, ...(sessions?.kind === 'sqlite' ? [sessions.path] : [])]) privateDatabase(db);
    });
    // -- secrets (src/secrets): the master key opens the config's enc:v1 values and the key files under data_dir --
    const { config, cardKey, box } = await this.#step('secrets', async () => {
      const keys = this.#masterKeys ?? loadMasterKeys(this.config);
      if (!this.#masterKeys) logGeneratedKey(keys, logger);
      return { ...openSecrets(this.config, keys, logger), box: keys.box };
    });
    const store = await this.#step('store', () => Store.open(config.store.path));
    this.#closers.push({ name: 'store', close: () => store.close() });
    this.#sources.push({ name: 'store', status: () => ({ state: store.closed ? 'closed' : 'ready', path: config.store.path }) });
    store.checkpointer?.on('failed', (error) => logger.error({ err: error }, 'store: WAL checkpoint thread failed; SQLite checkpoints on the main thread again'));
    // -- storage quota (src/storage): data_dir's files measured, a warning at storage.warn_percent, growing writes refused at 100 % --
    const hubSessions = settingsFromConfig(config).sessions;
    const quota = new StorageQuota(storageSettings(config, hubSessions?.kind === 'sqlite' ? hubSessions.path : undefined), clock);
    this.#closers.push({ name: 'storage', close: () => quota.close() });
    logQuotaLevels(quota, logger.child({ component: 'storage' }));
    quota.start();
    this.#sources.push({ name: 'storage', status: () => quota.status() });

    // Person ids in entries are pseudonyms under per-subject keys, admins' addresses sealed per day (src/audit, docs/privacy.md).
    const subjectKeys = new SubjectKeys({ db: store.db, box, clock, history: store });
    const addressKeys = new AddressKeys({ db: store.db, box });
    const resealed = await this.#step('audit-keys', async () => await subjectKeys.reseal() + await addressKeys.reseal());
    if (resealed > 0) logger.info({ keys: resealed }, 'secrets: audit pseudonym keys re-encrypted under the new master key / Pseudonymschlüssel des Protokolls mit dem neuen Hauptschlüssel verschlüsselt');
    const audit = new AuditLog(store.db, clock, new AuditPseudonyms({ keys: subjectKeys, addresses: addressKeys }), store);
    // -- audit checkpoints (src/audit): the chain's head goes off the box; sending never blocks an append --
    const checkpoints = new AuditCheckpoints({ db: store.db, audit, clock, settings: checkpointSettings(config), targets: checkpointTargets(config) });
    this.#closers.push({ name: 'audit-checkpoints', close: () => checkpoints.close() });
    checkpoints.on('failed', (f) => logger.warn({ target: f.target, seq: f.checkpoint.seq, attempts: f.attempts, reason: f.reason },
      'audit: checkpoint not delivered, trying again / Prüfpunkt nicht zugestellt, neuer Versuch'));
    await this.#step('audit', () => checkpoints.start());
    const roles = new Roles(store.db);
    await this.#step('roles', () => roles.seed());
    const hasher = new ScryptHasher({ concurrency: config.auth.hash_concurrency, maxQueued: config.auth.hash_queue });
    const accounts = new Accounts({ db: store.db, clock, audit, hasher, policy: {
      maxFailures: config.auth.max_failed_logins,
      lockoutMs: config.auth.lockout_minutes * 60_000,
      perAddressPerMinute: config.auth.address_attempts_per_minute,
      perAddressConcurrent: config.auth.address_concurrent_attempts,
      accountBackoffMaxMs: config.auth.account_backoff_max_seconds * 1000,
      sessionIdleMs: config.auth.session_idle_hours * 3_600_000,
      sessionMaxMs: config.auth.session_max_hours * 3_600_000,
    } });
    const sites = new Sites({ store, audit, clock });
    const welcome = new WelcomeScreens({ store, audit, clock, maxLogoBytes: config.web.logo_max_kib * 1024 });
    const credentials = new Credentials({ store, audit, clock, sites });
    // Who a request is, for HTTP and signaling alike (session cookie, API token, terminal secret).
    const authenticator = new Authenticator({ sessions: accounts, credentials });
    // Single sign-on through the deployment's OpenID provider, when auth.oidc.issuer is set; it ends in a session like a password.
    const oidcConfig = oidcSettings(config);
    const oidc = oidcConfig && new OidcSignIn({ settings: oidcConfig, db: store.db, accounts, roles, audit, clock });
    // The same through the deployment's SAML 2.0 IdP, when auth.saml.entry_point is set.
    const samlConfig = samlSettings(config);
    const saml = samlConfig && new SamlSignIn({ settings: samlConfig, db: store.db, accounts, roles, audit, clock });
    const firstRun = new FirstRun({ store, accounts, roles, audit, clock, dataDir: config.data_dir, linkTtlMs: config.auth.first_run_link_hours * 3_600_000 });

    const tls = new TlsProvider({
      dataDir: config.data_dir, certFile: config.https.cert, keyFile: config.https.key,
      hostNames: config.https.host_names, renewBeforeDays: config.https.renew_before_days, box,
    }, clock);
    await this.#step('tls', () => tls.start());
    this.#closers.push({ name: 'tls', close: () => tls.close() });
    // A replaced local CA (other https.host_names, or one from before name constraints) must be installed anew.
    const caReplaced = (m: { caReplaced?: boolean }) => {
      if (m.caReplaced) logger.warn('tls: a new local CA was issued: install /ca.crt on every terminal and desk PC / neue lokale CA ausgestellt: /ca.crt auf jedem Terminal und Desk-PC installieren');
    };
    caReplaced(tls.material);
    // Sealing a key that was plain protects it from now on only: copies in backups, snapshots and freed blocks remain.
    if (tls.keysSealedFromPlain.length > 0) {
      logger.warn({ files: tls.keysSealedFromPlain }, 'tls: the local CA key was stored unencrypted until now and is sealed from this start; treat the old key as exposed: delete tls/ca.* to issue a new CA (then install /ca.crt anew) / CA-Schlüssel lag bisher unverschlüsselt und ist ab jetzt versiegelt; den alten als offengelegt betrachten: tls/ca.* löschen, um eine neue CA auszustellen (dann /ca.crt neu installieren)');
    }
    tls.on('renewed', caReplaced);

    const sfu = new WorkerPool({
      workers: config.rtc.workers === 0 ? availableParallelism() : config.rtc.workers,
      basePort: config.rtc.base_port,
      listen: config.rtc.listen.map((l) => ({ ip: l.ip, announcedAddress: l.announced_address || undefined })),
      minPort: config.rtc.min_port, maxPort: config.rtc.max_port,
      workerBin: this.#workerBin, logger: logger.child({ component: 'sfu' }),
    });
    this.#closers.push({ name: 'sfu', close: () => sfu.close() });
    await this.#step('sfu', () => sfu.start());
    this.#sources.push({ name: 'sfu', status: () => ({ state: sfu.ready ? 'ready' : 'degraded', workers: sfu.status() }) });
    // The hub's rules reach terminals, desks and calls through signaling, which needs the calls that need
    // the hub's doors: the hub gets these ports now, and they are bound to signaling before the hub starts.
    const hubPorts = new SignalingHubPorts();
    const deviceHub = new DeviceHub({
      store, audit, credentials, roles, sites, clock, tls, ports: hubPorts, logger: logger.child({ component: 'mqtt' }), settings: settingsFromConfig(config),
      cardKey, collectGarbage: this.#collectGarbage,
    });
    this.#closers.push({ name: 'journal-devices', close: journalDevices(deviceHub.observer, logger) });
    // The SIP bridge's accounts register in the background once the listeners are up (below).
    const sip = await this.#step('sip', async () => new SipBridge({ settings: sipSettings(config), clock, logger: logger.child({ component: 'sip' }) }));
    this.#sources.push(deviceHub, sip, createTeamsBridge());

    const sipLegs = new SipLegDriver({ account: (id) => sip.account(id), bindAddress: config.sip.bind_address, rtpPorts: { min: config.sip.rtp_port_min, max: config.sip.rtp_port_max }, rtpTimeoutMs: config.sip.rtp_timeout_seconds * 1000, sessionMinSeconds: this.#sessionMinSecondsForTests ?? config.sip.session_timer.min_seconds, clock, logger: logger.child({ component: 'sip' }), audit: (entry) => audit.append(entry) });
    // referrers: the door stations (made below, asked only once both run) whose button rings an entry, and the admin SIP accounts' inbound numbers.
    const entryReferrers: EntryReferrers = {
      // Read inside the deleting transaction, from the tables (review s25 #10): see PhoneBook.remove.
      namesOf: async (entryId, within) => ({ stations: await doorStations.namesRinging(entryId, within), numbers: await sipAccounts.numbersRinging(entryId, within) }),
      release: async (actor, entryId): Promise<void> => { await doorStations.releaseEntry(actor, entryId); await sipAccounts.releaseEntry(actor, entryId); },
    };
    const phonebook = new PhoneBook({ store, audit, clock, sites, sipAccounts: (id): boolean => sipAccounts.exists(id), referrers: entryReferrers });
    await this.#step('phonebook', () => phonebook.load());
    // The entries' photos (personal data; shown by a site's kiosks only where its start screen allows it).
    const photos = new EntryPhotos({ store, audit, clock, phonebook, maxBytes: config.web.photo_max_kib * 1024 });
    // The admin page's SIP accounts (src/sip-bridge/account-admin.ts): passwords sealed under the master key; the enabled ones join the bridge before it starts, changes apply live.
    const sipAccounts: SipAccountAdmin = new SipAccountAdmin({
      store: new SipAccountStore({ store, audit, clock, box }), bridge: sip, sip: config.sip, logger: logger.child({ component: 'sip' }),
      routesThrough: (id): string[] => phonebook.routingThrough(id).map((e) => e.name),
      targets: {
        entry: (id): boolean => phonebook.find(id) !== undefined,
        entryWithin: async (id, within): Promise<boolean> => await phonebook.siteOfEntry(id, within) !== undefined,
        terminal: async (id): Promise<boolean> => { const c = await credentials.get(id); return c?.kind === 'terminal' && c.revokedAt === null; },
      },
    });
    await this.#step('sip-accounts', () => sipAccounts.load());
    // A revoked terminal is reached by no inbound number: the accounts drop those numbers (queued before the revocation's answer).
    const onTerminalRevoked = (c: Credential): void => {
      if (c.kind === 'terminal') void sipAccounts.releaseTerminal({ type: 'system', id: 'credential.revoke' }, c.id).catch((error: unknown) => logger.error({ err: error, terminal: c.id }, 'sip: dropping a revoked terminal\'s inbound numbers failed'));
    };
    credentials.on('revoked', onTerminalRevoked);
    this.#closers.push({ name: 'sip-accounts-revoked', close: () => { credentials.off('revoked', onTerminalRevoked); } });
    // SIP door stations (src/terminals/door-stations.ts): their digest secrets sealed under the master key.
    const doorStations: DoorStations = new DoorStations({ store, audit, clock, box, lookups: {
      siteOfDoor: (doorId, within) => sites.siteOfDoor(doorId, within), siteExists: (siteId) => sites.exists(siteId), siteOfEntry: (entryId, within) => phonebook.siteOfEntry(entryId, within),
    } });
    await this.#step('door-stations', () => doorStations.load());
    const doorReferences: DoorReferences = {
      // What needs a door: terminals and devices bound to it (not revoked), door stations at it, the hub's rules and pending commands —
      // read inside the deleting transaction (Sites.deleteDoor), never from memory or before it.
      holders: async (tx, siteId, doorId) => [
        ...await credentials.labelsAtDoor(doorId, tx), ...await doorStations.namesAtDoor(doorId, tx), ...await deviceHub.doorHolders(tx, siteId, doorId)],
      release: (tx, siteId, doorId) => deviceHub.releaseDoor(tx, siteId, doorId),
    };
    // Portier as the stations' registrar on their own socket (sip.stations; src/sip-bridge/station-endpoint.ts), started with the SIP accounts.
    const stationConfig = stationSettings(config);
    const stationEndpoint = stationConfig && new StationEndpoint({
      settings: stationConfig, sip: sipSettings(config), clock, logger: logger.child({ component: 'sip' }), certificate: tls,
      directory: { credentialsOf: (user) => { const c = doorStations.credentialsOf(user); return c && { stationId: c.station.id, secret: c.secret }; } },
    });
    if (stationEndpoint) doorStations.on('changed', (c) => { if (c.identity) stationEndpoint.registrar.forget(c.id); });
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
    // Opening the calling terminal's door is the call's own operation (participant or door.unlock, outbox, audit).
    const door = {
      doors: deviceHub.doorControl, audit, seconds: config.calls.door_open_seconds,
      clock, relayTimeoutMs: config.sip.stations.relay_timeout_seconds * 1000,
      // A door station's call: the station's door (its relay way mqtt), or its own relay (sip-info) through the call's dialog.
      doorOfTerminal: async (terminalId: string): Promise<string | null> => (await credentials.get(terminalId))?.doorId ?? stationOfCaller(terminalId)?.doorId ?? null,
      mayUnlock: (userId: string, siteId: string) => roles.can({ type: 'user', id: userId }, 'door.unlock', siteId),
      callerRelay: (terminalId: string): CallerRelay | undefined => {
        const station = stationOfCaller(terminalId);
        const call: InboundSipCall | undefined = inbound.byParticipant(terminalId);
        if (!station || !call || station.relay.way !== 'sip-info') return undefined;
        const code = station.relay.code;
        return { stationId: station.id, open: (signal) => call.sendDtmfInfo(code, signal) };
      },
    };
    const stationOfCaller = (participantId: string): DoorStation | undefined => {
      const stationId: string | undefined = inbound.byParticipant(participantId)?.stationId;
      return stationId === undefined ? undefined : doorStations.find(stationId);
    };
    const calls = new CallService({
      phonebook, presence: desks, recorder: records, door, audit, media: quality.watch(new SfuMediaPort(sfu, mixOptionsOf(config))), clock, hours: sites, options: { queueTimeoutS: config.calls.queue_timeout_seconds, callbackMaxS: config.calls.callback_max_seconds, callbackOutsideHours: config.calls.callback_outside_hours, ringingPreview: (siteId) => config.calls.ringing_preview_sites.includes(siteId) },
      directory: {
        members: (roleId, siteId) => roles.members(roleId, siteId),
        mayAnswer: (userId, siteId) => roles.can({ type: 'user', id: userId }, 'call.answer', siteId),
        mayTransfer: (userId, siteId) => roles.can({ type: 'user', id: userId }, 'call.transfer', siteId),
      },
      // A phone-book route of type sip rings through the SIP bridge's account (src/sip-bridge/sip-leg.ts).
      phoneLegs: [sipLegs],
      // A desk's transfer of a PBX caller to an extension of its PBX goes by REFER (src/sip-bridge/refer-out.ts).
      phoneTransfer: new SipReferrer({
        leg: (participantId: string): InboundSipCall | undefined => inbound.byParticipant(participantId), timeoutMs: config.sip.refer_timeout_seconds * 1000, clock, logger: logger.child({ component: 'sip' }),
      }),
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
    await this.#step('kiosk-health', () => kiosk.start());
    const importLookups = {
      userIdByLogin: async (login: string) => (await accounts.list()).find((u) => u.login === login)?.id,
      roleExists: async (roleId: string) => (await roles.list()).some((r) => r.id === roleId),
    };

    // -- service level (src/quality): the monthly report, planned maintenance and excuses --
    const slaRecords = new SlaRecords(store);
    const serviceLevel = new ServiceLevel({ store, records: slaRecords, audit, sites, clock, settings: slaSettings(config) });
    // Health samples (every component's state) and the synthetic probe (media through a worker); started last.
    const sampler = new HealthSampler({
      clock, records: slaRecords, sources: () => [this.#lifecycleStatus(), ...this.#sources], siteStates: () => kiosk.siteStates(),
      sampleMs: config.sla.sample_seconds * 1000, retentionMs: config.sla.retention_days * 86_400_000, drained: () => this.#draining,
    });
    sampler.on('error', (error) => logger.warn({ err: error }, 'sla: storing a health sample failed'));
    sampler.on('gap', (g) => logger.warn({ since: new Date(g.start).toISOString(), drained: g.drained }, 'sla: the gateway was not running (gap since its last sample) / das Gateway lief nicht (Lücke seit der letzten Messung)'));
    // The probe also signs in through socket.io on the localhost HTTP listener with its credential (renewed below, before it starts).
    let probeSecret: string | undefined;
    const probeSignaling = (signal: AbortSignal): Promise<void> => {
      const base = localBase(web.httpServer?.address());
      if (!base || !probeSecret) return Promise.reject(new Error('no localhost HTTP listener'));
      return pingSignaling({ base, secret: probeSecret }, signal);
    };
    const probe = new SyntheticProbe({ clock, media: new SfuMediaPort(sfu), records: slaRecords, settings: probeSettings(config), signaling: probeSignaling });
    probe.on('error', (error) => logger.warn({ err: error }, 'sla: storing a probe result failed'));
    probe.on('down', (d) => logger.error({ since: new Date(d.since).toISOString() }, 'sla: synthetic probe failed repeatedly, the service is down / Dienst nicht verfügbar'));
    probe.on('up', () => logger.info('sla: synthetic probe succeeds again / Dienst wieder verfügbar'));
    // The month's downtime budget per site, recomputed when a probe, a period or a new month can change it (src/quality/budget-watch.ts).
    const budget = new BudgetWatch({ level: serviceLevel, sites: () => sites.list(), probe, periods: serviceLevel, siteStates: () => kiosk.siteStates(), clock, settings: budgetSettings(config), logger });
    budget.on('error', (error) => logger.warn({ err: error }, 'sla: checking the downtime budget failed'));
    // A site's kiosks stored as down or up again changes that site's month.
    sampler.on('sample', (snap) => { for (const c of snap.changed) if (c.startsWith('terminals:')) void budget.touch(c.slice('terminals:'.length)); });
    this.#closers.push({ name: 'budget', close: () => budget.close() });
    const slaMetrics = new SlaMetrics({ probe, sampler });
    this.#closers.push({ name: 'sla-metrics', close: () => slaMetrics.close() });

    const web = new WebServer({ http: config.http, https: config.https, trustProxy: config.web.trust_proxy, tls, logger });
    this.#closers.push({ name: 'http', close: () => web.close() });
    const auth = new Auth({ authenticator, roles });
    // The admin page's changes, numbered: its sign-in check (/api/auth/me) reads the mark its live socket's first connect hands back.
    const adminChanges = new AdminChangeLog();
    // Each feature's routes are a fastify plugin (its own encapsulated context) talking to a component's facade.
    web.routes((app) => {
      guardGrowingWrites(app, quota);
      auditPersonalReads(app, new ReadAudit({ audit, clock, windowMs: readWindowMs(config) }));
      void app.register(storageRoutes, { auth, quota });
      void app.register(healthRoutes, {
        sources: () => [this.#lifecycleStatus(), ...this.#sources], auth,
        ports: () => ({ ...web.ports, mqtt: deviceHub.mqttPorts, rtc: sfu.status().map((w) => w.ports) }),
      });
      void app.register(caRoutes, { tls });
      void app.register(plainAssetRoutes);
      void app.register(authRoutes, { auth, accounts, roles, firstRun, adminChanges: { mark: () => adminChanges.mark(), mayRead: (userId) => administersAnything({ roles, sites }, userId) }, sessionIdleMs: config.auth.session_idle_hours * 3_600_000 });
      void app.register(oidcRoutes, { oidc, saml: saml !== undefined, sessionIdleMs: config.auth.session_idle_hours * 3_600_000 });
      void app.register(samlRoutes, { saml, sessionIdleMs: config.auth.session_idle_hours * 3_600_000 });
      void app.register(siteRoutes, { auth, sites, phonebook, doorStatus: (siteId) => deviceHub.doorStatus(siteId), doorReferences });
      void app.register(welcomeRoutes, { auth, welcome });
      void app.register(photoRoutes, { auth, phonebook, photos, welcome });
      void app.register(privacyRoutes, { auth, privacy });
      void app.register(userRoutes, { auth, store, accounts, roles, audit });
      void app.register(credentialRoutes, { auth, store, roles, credentials, audit });
      void app.register(terminalRoutes, { auth, enrolment, credentials, clock, kiosk, pairing: {
        perAddressPerMinute: config.calls.pairing_failures_per_address_per_minute, perMinute: config.calls.pairing_failures_per_minute,
      } });
      void app.register(doorStationRoutes, { auth, stations: doorStations, registration: (id) => {
        const b = stationEndpoint?.registrar.binding(id);
        return b ? { online: true, transport: b.transport, contact: `${b.source.host}:${b.source.port}`, expiresAt: b.expiresAt } : { online: false };
      } });
      void app.register(phonebookRoutes, { auth, phonebook, lookups: importLookups, calls, sipAccounts: () => sip.accounts.map((a) => a.status()) });
      void app.register(sipAccountRoutes, { auth, accounts: sipAccounts });
      void app.register(pageRoutes, { webDir: this.#webDir });
      void app.register(deviceRoutes, { auth, hub: deviceHub, maxUnlockSeconds: config.device_hub.max_unlock_seconds });
      metricsRoutes(app, { auth, render: () => metrics.render() + slaMetrics.render() + quotaMetrics(quota) });
      void app.register(slaRoutes, { auth, sla: serviceLevel });
      void app.register(qualityRoutes, { auth, calls, quality, mosThreshold: config.quality.mos_threshold });
    });
    await this.#step('http', () => web.start());
    this.#sources.push(web);

    // -- calls and signaling wiring (src/calls, src/signaling): built and bound to the hub's ports before the hub starts --
    this.#closers.push({ name: 'mqtt', close: () => deviceHub.close() });
    const signaling = new SignalingServer({
      calls, records, phonebook, photos, roles, credentials, sites, welcome, accounts, authenticator, clock, desks, quality, kiosk,
      admin: { audit, quality, devices: deviceHub.observer, kiosk, changes: adminChanges, ...(stationEndpoint ? { stations: stationEndpoint.registrar } : {}) },
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
    await this.#step('mqtt', () => deviceHub.start());
    deviceHub.attachWebSocket(web.httpsServer);
    deviceHub.attachWebSocket(web.httpServer);
    signaling.attach([web.httpsServer!, web.httpServer!].filter(Boolean));
    web.allowUpgrades({ prefixes: ['/socket.io/'], paths: [WS_PATH] });

    // -- SIP bridge wiring (src/sip-bridge): binds each account's socket; REGISTER outcomes arrive as state events --
    this.#closers.push({ name: 'sip', close: () => sip.close() });
    if (stationEndpoint) this.#closers.push({ name: 'door-stations', close: () => stationEndpoint.close() });
    // Calls from the PBX (src/sip-bridge/sip-inbound.ts): a number's phone-book entry rings the desks; closed before the accounts.
    const inbound = new InboundCalls({
      calls: {
        startFromPhone: (phone, entryId, observe) => calls.startFromPhone(phone, entryId, observe),
        hangup: (callId, participantId) => calls.hangup(callId, participantId),
        endCall: (callId, reason) => calls.endCall(callId, reason),
        // A terminal that answers by itself must be connected: signaling knows, and tells the kiosk (call.started).
        callTerminal: (phone, terminalId, callerName, observe) => signaling.callTerminalFromPhone(phone, terminalId, callerName, observe),
        // The PBX moves its caller to another extension (REFER in the call's dialog, src/sip-bridge/refer-in.ts).
        moveCaller: (callId, participantId, route, caller, replaces) => calls.moveFromPhone(callId, participantId, route, caller, replaces),
      },
      audit: (entry) => audit.append(entry),
      terminalOf: (accountId, dialled) => sip.account(accountId)?.inboundTerminal(dialled),
      bindAddress: config.sip.bind_address, rtpPorts: { min: config.sip.rtp_port_min, max: config.sip.rtp_port_max }, logger: logger.child({ component: 'sip' }), lateOfferCodec: `audio/${config.sip.late_offer_codec}`,
      clock, sessionMinSeconds: this.#sessionMinSecondsForTests ?? config.sip.session_timer.min_seconds,
      entryOf: (accountId, dialled) => sip.account(accountId)?.inboundEntry(dialled),
      videoEntries: H264_PROFILES.flatMap((profile) => ([1, 0] as const).map((mode) => ({ profile, mode }))),
    });
    sip.on('invite', (incoming, account) => inbound.take(incoming, account));
    // A door station's button: its entry (else the site's reception) rings like a terminal's call, with its H.264 video.
    stationEndpoint?.on('invite', (incoming) => {
      const station = doorStations.find(incoming.stationId);
      const entryId = station && (station.entryId ?? phonebook.reception(station.siteId)?.id);
      if (!station || !entryId) return void incoming.invitation.reject({ statusCode: 404 }).catch(() => undefined);
      inbound.take(incoming, stationEndpoint, { stationId: station.id, entryId, video: true, door: station.relay.way === 'sip-info' || station.doorId !== null });
    });
    this.#closers.push({ name: 'sip-inbound', close: () => inbound.close() });
    // -- alerts (src/alerts): its sources arrive here, before the SIP accounts register and the probe starts;
    // closed before the SIP bridge and the hub, so their shutdown raises no alert --
    const alerts = new Alerts({
      clock, logger: logger.child({ component: 'alerts' }), settings: alertSettings(config),
      sources: { probe, quality, sip, sfu, devices: deviceHub.observer, storage: quota, budget, kiosk },
      publish: (topic, payload, opts) => deviceHub.publish(topic, payload, opts),
    });
    this.#closers.push({ name: 'alerts', close: () => alerts.close() });
    checkpoints.on('failed', (f) => alerts.raise({
      id: `audit-checkpoint:${f.target}`, kind: 'audit-checkpoint', incidentClass: 3, siteId: null, subject: { target: f.target, seq: f.checkpoint.seq, reason: f.reason },
      text: { en: `audit checkpoints do not reach the ${f.target} (${f.reason}); retrying`, de: `Audit-Prüfpunkte erreichen ${f.target} nicht (${f.reason}); neuer Versuch folgt` },
    }));
    checkpoints.on('delivered', (d) => alerts.clear(`audit-checkpoint:${d.target}`));
    await this.#step('sip', () => sip.start());
    if (stationEndpoint) {
      await this.#step('door-stations', () => stationEndpoint.start());
      this.#sources.push(stationEndpoint);
    }

    this.#closers.push({ name: 'privacy', close: () => privacy.close() });
    await this.#step('privacy', () => privacy.start());
    this.#services = { store, audit, roles, accounts, hasher, credentials, sites, doorReferences, entryReferrers, firstRun, tls, sfu, web, phonebook, photos, calls, enrolment, doorStations, stationEndpoint, signaling, deviceHub, quality, sip, sipAccounts, sipInbound: inbound, sipLegs, alerts, kiosk, privacy, probe };
    // -- service level wiring (src/quality): the gap since the last run is recorded, then every component's
    // state is sampled and the synthetic probe sends media through a worker; both close first --
    this.#closers.push({ name: 'health-samples', close: () => sampler.close() });
    await this.#step('sla', () => sampler.start());
    this.#closers.push({ name: 'probe', close: () => probe.close() });
    probeSecret = (await this.#step('sla', () => credentials.renewProbe())).secret;
    probe.start();
    void budget.check(); // the gap just recorded may already have used the month's budget

    const created = await this.#step('first-run', () => firstRun.ensureAdmin((token) => this.#firstRunLink(token)));
    if (created) {
      this.firstRunFile = created.file;
      // Only the file's path is logged; the link itself never reaches the log.
      logger.warn({ file: created.file }, 'first run: the link that sets the admin password is in this file');
    }
  }

  /**
   * The link a browser on this machine opens as it is: the localhost HTTP listener
   * (no certificate to trust yet; browsers treat localhost as a secure origin). Only
   * when that listener is not on loopback, the HTTPS address (its CA must be trusted first).
   */
  #firstRunLink(token: string): string {
    const { ports } = this.services.web;
    if (LOOPBACK.has(this.config.http.host)) return `http://localhost:${ports.http}/first-run#token=${token}`;
    return `${this.#httpsBase()}/first-run#token=${token}`;
  }

  #httpsBase(): string {
    const host = this.services.tls.hostNames.find((h) => !h.includes(':')) ?? 'localhost';
    return `https://${host}:${this.services.web.ports.https}`;
  }

  /** Where people open the pages (the ready line names them: an operator copies them from the console). */
  pageUrls(): { admin: string; desk: string; terminal: string } {
    const base = this.#httpsBase();
    return { admin: `${base}/admin`, desk: `${base}/desk`, terminal: `${base}/terminal` };
  }

  /**
   * What to do with the first-run link, for the console (DE/EN): open it on this machine;
   * from another one, install the local CA from /ca after checking its SHA-256 fingerprint.
   */
  firstRunHelp(link: string): string {
    const ca = this.services.tls.material.ca;
    const lines = [
      'portier: first run – open this link on this machine to set the admin password / Erststart – diesen Link auf diesem Rechner öffnen, um das Admin-Passwort zu setzen:',
      `  ${link}`,
    ];
    if (ca) {
      const fingerprint = new X509Certificate(ca).fingerprint256;
      const path = new URL(link).pathname + new URL(link).hash;
      lines.push(
        'portier: from another computer, first install the local CA from / von einem anderen Rechner zuerst die lokale CA installieren von:',
        `  ${this.#httpsBase()}/ca   (SHA-256: ${fingerprint})`,
        `  then / dann: ${this.#httpsBase()}${path}`,
      );
    }
    return lines.join('\n') + '\n';
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
    for (const { name, close } of this.#closers.reverse()) {
      try {
        await close();
      } catch (error) {
        this.logger.error({ component: name, err: error }, 'gateway: close failed');
      }
    }
    this.#closers.length = 0;
  }
}

/** The G.711 mixes' limits and buffers (rtc.mix): one budget for the whole process. */
function mixOptionsOf(config: Config) {
  const mix = config.rtc.mix;
  return {
    maxParticipants: mix.max_participants, budget: new MixBudget(mix.max_mixes_per_process),
    settings: { depthFrames: mix.buffer_packets, dropAfterFrames: Math.ceil(mix.source_timeout_ms / 20) },
  };
}
