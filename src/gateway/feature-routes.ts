// Every feature's HTTP routes, each a fastify plugin (its own encapsulated context) talking to a component's
// facade, behind the storage guard and the audit of personal reads.
import type { FastifyInstance } from 'fastify';
import type { Alerts } from '../alerts/index.ts';
import type { Accounts, FirstRun, OidcSignIn, Roles, SamlSignIn } from '../access/index.ts';
import { ReadAudit, readWindowMs, type AuditLog } from '../audit/index.ts';
import type { CallService } from '../calls/index.ts';
import type { Config } from '../config/index.ts';
import type { Clock } from '../core/index.ts';
import type { Credentials } from '../credentials/index.ts';
import type { DeviceHub, HubMetrics } from '../device-hub/index.ts';
import type { StatusSource } from '../lifecycle/index.ts';
import type { EntryPhotos, ImportLookups, PhoneBook } from '../phonebook/index.ts';
import type { Privacy } from '../privacy/index.ts';
import type { AvailabilityMetrics, QualityMetrics, QualityMonitor, ServiceLevel, SlaMetrics } from '../quality/index.ts';
import type { WorkerMetrics, WorkerPool } from '../sfu/index.ts';
import { administersAnything, type AdminChangeLog } from '../signaling/index.ts';
import type { SipAccountAdmin, SipBridge, SipMetrics, StationEndpoint } from '../sip-bridge/index.ts';
import type { DoorReferences, Sites, WelcomeScreens } from '../sites/index.ts';
import { quotaMetrics, type StorageQuota } from '../storage/index.ts';
import type { Store } from '../store/index.ts';
import type { DoorStations, KioskHealth, TerminalEnrolment } from '../terminals/index.ts';
import type { TlsProvider } from '../tls/index.ts';
import { healthRoutes, caRoutes, plainAssetRoutes, authRoutes, siteRoutes, userRoutes, credentialRoutes, type Auth, type WebServer } from '../http/index.ts';
import { storageRoutes, guardGrowingWrites } from '../http/routes/storage-routes.ts';
import { auditPersonalReads } from '../http/read-audit-hook.ts';
import { oidcRoutes } from '../http/routes/oidc-routes.ts';
import { samlRoutes } from '../http/routes/saml-routes.ts';
import { terminalRoutes } from '../http/routes/terminal-routes.ts';
import { doorStationRoutes } from '../http/routes/door-station-routes.ts';
import { welcomeRoutes } from '../http/routes/welcome-routes.ts';
import { photoRoutes } from '../http/routes/photo-routes.ts';
import { phonebookRoutes } from '../http/routes/phonebook-routes.ts';
import { pageRoutes } from '../http/routes/page-routes.ts';
import { sipAccountRoutes } from '../http/routes/sip-account-routes.ts';
import { deviceRoutes } from '../http/routes/device-routes.ts';
import { metricsRoutes } from '../http/routes/metrics-routes.ts';
import { slaRoutes } from '../http/routes/sla-routes.ts';
import { qualityRoutes } from '../http/routes/quality-routes.ts';
import { alertRoutes } from '../http/routes/alert-routes.ts';
import { privacyRoutes } from '../http/routes/privacy-routes.ts';

export interface FeatureRouteDeps {
  config: Config;
  clock: Clock;
  /** Where setup built the pages. */
  webDir: string;
  /** Every component's state, the gateway's own first (GET /health). */
  statusSources: () => StatusSource[];
  web: WebServer;
  auth: Auth;
  store: Store;
  quota: StorageQuota;
  audit: AuditLog;
  accounts: Accounts;
  roles: Roles;
  firstRun: FirstRun;
  oidc: OidcSignIn | undefined;
  saml: SamlSignIn | undefined;
  adminChanges: AdminChangeLog;
  sites: Sites;
  doorReferences: DoorReferences;
  welcome: WelcomeScreens;
  phonebook: PhoneBook;
  photos: EntryPhotos;
  importLookups: ImportLookups;
  privacy: Privacy;
  credentials: Credentials;
  enrolment: TerminalEnrolment;
  kiosk: KioskHealth;
  doorStations: DoorStations;
  stationEndpoint: StationEndpoint | undefined;
  calls: CallService;
  sip: SipBridge;
  sipAccounts: SipAccountAdmin;
  deviceHub: DeviceHub;
  sfu: WorkerPool;
  tls: TlsProvider;
  quality: QualityMonitor;
  metrics: QualityMetrics;
  slaMetrics: SlaMetrics;
  availabilityMetrics: AvailabilityMetrics;
  hubMetrics: HubMetrics;
  sipMetrics: SipMetrics;
  workerMetrics: WorkerMetrics;
  serviceLevel: ServiceLevel;
  alerts: Alerts;
}

/** The registration for WebServer.routes(). */
export function featureRoutes(deps: FeatureRouteDeps): (app: FastifyInstance) => void {
  const {
    config, clock, webDir, statusSources, web, auth, store, quota, audit, accounts, roles, firstRun, oidc, saml, adminChanges, sites, doorReferences,
    welcome, phonebook, photos, importLookups, privacy, credentials, enrolment, kiosk, doorStations, stationEndpoint, calls, sip, sipAccounts,
    deviceHub, sfu, tls, quality, metrics, slaMetrics, availabilityMetrics, hubMetrics, sipMetrics, workerMetrics, serviceLevel, alerts,
  } = deps;
  return (app) => {
    guardGrowingWrites(app, quota);
    auditPersonalReads(app, new ReadAudit({ audit, clock, windowMs: readWindowMs(config) }));
    void app.register(storageRoutes, { auth, quota });
    void app.register(healthRoutes, {
      sources: () => statusSources(), auth,
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
    void app.register(pageRoutes, { webDir });
    void app.register(deviceRoutes, { auth, hub: deviceHub, maxUnlockSeconds: config.device_hub.max_unlock_seconds });
    const renderMetrics = async () => metrics.render() + slaMetrics.render() + availabilityMetrics.render() + hubMetrics.render() + sipMetrics.render() + await workerMetrics.render() + quotaMetrics(quota);
    metricsRoutes(app, { auth, render: renderMetrics });
    void app.register(slaRoutes, { auth, sla: serviceLevel });
    void app.register(qualityRoutes, { auth, calls, quality, mosThreshold: config.quality.mos_threshold });
    void app.register(alertRoutes, { auth, alerts, sites });
  };
}
