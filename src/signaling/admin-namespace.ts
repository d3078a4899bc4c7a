// The admin page's live updates: socket.io namespace /admin. A person's session
// cookie signs in through the same engine (Origin check) and authenticator as the
// desks; the socket then hears `admin.changed { section, siteId }` for changes it
// may see (the section's GET permission on that site, src/signaling/admin-changes.ts)
// and refetches through the API. It ends when the session ends: sign-out, a new
// password, erasure (Accounts' sessionended), idle or maximum age (a timer at the
// session's end), and when the user no longer holds any admin permission.
import type { Namespace, Socket } from 'socket.io';
import type { Logger } from 'pino';
import { sessionTokenHash, type Accounts, type Authenticator, type Roles, type SessionEnd } from '../access/index.ts';
import type { AuditEntry, AuditLogEvents } from '../audit/index.ts';
import type { CallService } from '../calls/index.ts';
import type { Credential } from '../credentials/index.ts';
import type { Sites } from '../sites/index.ts';
import type { Clock, TypedEmitter } from '../core/index.ts';
import type { QualityMonitorEvents } from '../quality/index.ts';
import type { HubEvent, HubObserverEvents } from '../device-hub/index.ts';
import type { KioskHealthEvents } from '../terminals/index.ts';
import type { AlertsEvents } from '../alerts/index.ts';
import type { AdminChange, ServerToAdmin } from './contract.ts';
import { SECTION_ACCESS, administersAnything, changeKey, changeOfCredential, changesOfEntry, doorController } from './admin-changes.ts';
import { AdminChangeLog } from './admin-change-log.ts';

export const ADMIN_NAMESPACE = '/admin';

type Listens<E extends Record<string, unknown[]>> = Pick<TypedEmitter<E>, 'on' | 'off'>;

/** Where changes come from, besides calls and credentials (already signaling's). */
export interface AdminSources {
  audit: Listens<AuditLogEvents>;
  quality: Listens<Pick<QualityMonitorEvents, 'sample'>>;
  devices: Listens<Pick<HubObserverEvents, 'online' | 'offline' | 'event'>>;
  kiosk: Listens<Pick<KioskHealthEvents, 'health' | 'presence'>>;
  /** The SIP door stations' registrar (when sip.stations is on): a station registering or going offline changes the terminals section. */
  stations?: Listens<StationPresenceEvents>;
  /** The open alerts (src/alerts): one raised or cleared changes the alerts section of its site (null: gateway-wide). */
  alerts?: Listens<Pick<AlertsEvents, 'alert'>>;
  /** Numbers every change: a page's first connect hears what changed since its mark (GET /api/auth/me); its own when absent. */
  changes?: AdminChangeLog;
}

/** What the admin page hears of the door stations' registrar (src/sip-bridge StationRegistrar's online/offline). */
export type StationPresenceEvents = { online: [{ stationId: string }]; offline: [{ stationId: string }] };

export interface AdminNamespaceDeps {
  authenticator: Authenticator;
  accounts: Pick<Accounts, 'on' | 'off' | 'sessionEnd'>;
  roles: Pick<Roles, 'can' | 'canAny'>;
  sites: Pick<Sites, 'list'>;
  calls: CallService;
  credentials: { on(event: 'revoked' | 'rotated', l: (c: Credential) => void): unknown; off(event: 'revoked' | 'rotated', l: (c: Credential) => void): unknown };
  sources: AdminSources;
  clock: Clock;
  logger: Logger;
}

type AdminSocket = Socket<Record<string, never>, ServerToAdmin>;
/** The longest a session timer waits before it looks again (setTimeout's limit is ~24.8 days). */
const MAX_WAIT_MS = 86_400_000;

export class AdminNamespace {
  readonly #ns: Namespace<Record<string, never>, ServerToAdmin>;
  readonly #d: AdminNamespaceDeps;
  readonly #pending = new Map<string, AdminChange>();
  readonly #sessionTimers = new Map<string, NodeJS.Timeout>();
  readonly #unsubscribe: Array<() => void> = [];
  readonly #log: AdminChangeLog;
  #flush: NodeJS.Immediate | undefined;
  /** Deliveries run one after another, so each socket hears changes in the order they happened. */
  #delivering: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(ns: Namespace, deps: AdminNamespaceDeps) {
    this.#ns = ns as unknown as Namespace<Record<string, never>, ServerToAdmin>;
    this.#d = deps;
    this.#log = deps.sources.changes ?? new AdminChangeLog();
    ns.use((socket, next) => void this.#authenticate(socket).then(() => next(), (e: Error) => next(e)));
    ns.on('connection', (socket: AdminSocket) => this.#onConnection(socket));
    this.#subscribe();
  }

  /** Sockets connected now (status and tests). */
  get size(): number { return this.#ns.sockets.size; }

  async #authenticate(socket: Socket): Promise<void> {
    const principal = await this.#d.authenticator.resolve(socket.request, ['session']);
    if (principal?.scheme !== 'session') throw new Error('unauthenticated');
    socket.data.userId = principal.id;
    socket.data.sessionHash = sessionTokenHash(principal.sessionToken);
    if (!(await this.#administersAnything(principal.id))) throw new Error('forbidden: requires an admin permission');
  }

  #onConnection(socket: AdminSocket): void {
    socket.on('disconnect', () => {
      const timer = this.#sessionTimers.get(socket.id);
      if (timer) this.#d.clock.clearTimeout(timer);
      this.#sessionTimers.delete(socket.id);
    });
    void this.#watchSession(socket);
    // A first connect hands over the mark read before the page's first loads: it hears what changed since (in order with other deliveries).
    const auth: unknown = socket.handshake.auth;
    if (typeof auth === 'object' && auth !== null && 'since' in auth) {
      const missed = this.#log.since(auth.since);
      this.#delivering = this.#delivering.then(() => this.#catchUp(socket, missed))
        .catch((e: Error) => this.#d.logger.error({ err: e }, 'signaling: admin changes not delivered / Admin-Änderungen nicht zugestellt'));
    }
  }

  /** The changes since a page's mark it may hear; a mark of another process (restart): every section (admin.resync). */
  async #catchUp(socket: AdminSocket, missed: AdminChange[] | undefined): Promise<void> {
    if (missed === undefined) { if (socket.connected) socket.emit('admin.resync', {}); return; }
    for (const change of missed) if (!this.#closed && socket.connected && await this.#mayHear(socket.data.userId, change)) socket.emit('admin.changed', change);
  }

  /** Disconnects at the session's end (idle or maximum age); a session the page kept using is looked at again then. */
  async #watchSession(socket: AdminSocket): Promise<void> {
    if (!socket.connected || this.#closed) return;
    const end = await this.#d.accounts.sessionEnd(socket.data.sessionHash);
    const now = this.#d.clock.now();
    if (end === undefined || end <= now) { socket.disconnect(true); return; }
    // The namespace may have closed while the session was read: no timer outlives close() (review s20 #11).
    if (!socket.connected || this.#closed) return;
    this.#sessionTimers.set(socket.id, this.#d.clock.setTimeout(() => void this.#watchSession(socket), Math.min(end - now, MAX_WAIT_MS)));
  }

  #administersAnything(userId: string): Promise<boolean> {
    return administersAnything(this.#d, userId);
  }

  /** Whether this user may hear of the change: its section's GET permission, on its site or deployment-wide. */
  async #mayHear(userId: string, change: AdminChange): Promise<boolean> {
    const access = SECTION_ACCESS[change.section];
    const site = access.scope === 'site' ? change.siteId ?? undefined : undefined;
    return this.#d.roles.can({ type: 'user', id: userId }, access.permission, site);
  }

  #subscribe(): void {
    const { audit, quality, devices, kiosk, stations, alerts } = this.#d.sources;
    const { calls, credentials, accounts } = this.#d;
    const onAudit = (_n: number, entries: readonly AuditEntry[]) => { for (const e of entries) for (const c of changesOfEntry(e)) this.#push(c); };
    const onCall = (call: { siteId: string }) => { this.#push({ section: 'calls', siteId: call.siteId }); this.#push({ section: 'quality', siteId: call.siteId }); };
    const onQueue = (siteId: string) => this.#push({ section: 'calls', siteId });
    const onSample = (s: { callId: string }) => {
      const call = calls.activeCalls.find((c) => c.id === s.callId);
      if (call) this.#push({ section: 'quality', siteId: call.siteId });
    };
    const onDevice = (device: { siteId: string; kind: string; doorId: string | null }) => {
      this.#push({ section: 'devices', siteId: device.siteId });
      // A door's controller coming or going changes the door's status in the site's doors.
      if (doorController(device)) this.#push({ section: 'sites', siteId: device.siteId });
    };
    // A door's new state (not a replay of the stored one) shows in the site's doors.
    const onHubEvent = (e: HubEvent) => { if ((e.fresh || e.lockChanged) && e.message.leaf === 'state') this.#push({ section: 'sites', siteId: e.siteId }); };
    const onHealth = (h: { siteId: string }) => this.#push({ section: 'terminals', siteId: h.siteId });
    const onPresence = () => this.#push({ section: 'terminals', siteId: null });
    // "registered until …" in the door stations' list is live (review s21 #36).
    const onStation = () => this.#push({ section: 'terminals', siteId: null });
    const onCredential = (c: Credential) => { const change = changeOfCredential(c); if (change) this.#push(change); };
    const onSessionEnded = (end: SessionEnd) => this.#sessionEnded(end);
    this.#listen(audit, 'appended', onAudit);
    this.#listen(calls, 'step', onCall);
    this.#listen(calls, 'answered', onCall);
    this.#listen(calls, 'ended', onCall);
    this.#listen(calls, 'queue', onQueue);
    this.#listen(quality, 'sample', onSample);
    this.#listen(devices, 'online', onDevice);
    this.#listen(devices, 'offline', onDevice);
    this.#listen(devices, 'event', onHubEvent);
    this.#listen(kiosk, 'health', onHealth);
    this.#listen(kiosk, 'presence', onPresence);
    if (stations) {
      this.#listen(stations, 'online', onStation);
      this.#listen(stations, 'offline', onStation);
    }
    if (alerts) this.#listen(alerts, 'alert', (m: { siteId: string | null }) => this.#push({ section: 'alerts', siteId: m.siteId }));
    this.#listen(credentials, 'revoked', onCredential);
    this.#listen(credentials, 'rotated', onCredential);
    this.#listen(accounts, 'sessionended', onSessionEnded);
  }

  /** Listens to `source` until close(). */
  #listen<K extends string, L>(source: NoInfer<{ on(event: K, listener: L): unknown; off(event: K, listener: L): unknown }>, event: K, listener: L): void {
    source.on(event, listener);
    this.#unsubscribe.push(() => { source.off(event, listener); });
  }

  #sessionEnded(end: SessionEnd): void {
    for (const socket of this.#ns.sockets.values()) {
      if ('tokenHash' in end ? socket.data.sessionHash === end.tokenHash : socket.data.userId === end.userId) socket.disconnect(true);
    }
  }

  /** Changes of one turn of the event loop go out together, each once. */
  #push(change: AdminChange): void {
    if (this.#closed) return;
    this.#log.record(change);
    this.#pending.set(changeKey(change), change);
    this.#flush ??= setImmediate(() => {
      this.#flush = undefined;
      const changes = [...this.#pending.values()];
      this.#pending.clear();
      this.#delivering = this.#delivering.then(() => this.#deliver(changes))
        .catch((e: Error) => this.#d.logger.error({ err: e }, 'signaling: admin changes not delivered / Admin-Änderungen nicht zugestellt'));
    });
  }

  async #deliver(changes: AdminChange[]): Promise<void> {
    const recheck = changes.some((c) => c.section === 'users');
    for (const socket of this.#ns.sockets.values()) {
      const userId: string = socket.data.userId;
      // A user whose roles changed may have lost the last admin permission: the page ends.
      if (recheck && !(await this.#administersAnything(userId))) { socket.disconnect(true); continue; }
      for (const change of changes) if (!this.#closed && socket.connected && await this.#mayHear(userId, change)) socket.emit('admin.changed', change);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#flush) clearImmediate(this.#flush);
    this.#pending.clear();
    for (const timer of this.#sessionTimers.values()) this.#d.clock.clearTimeout(timer);
    this.#sessionTimers.clear();
    for (const off of this.#unsubscribe.splice(0)) off();
  }
}
