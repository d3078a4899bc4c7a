// Kiosk health: each terminal's page reports its state, camera and microphone and
// last activity (terminal.health); signaling tells when its connection comes and
// goes. From that this keeps, per terminal, whether it is able to call, and per
// site whether any terminal is:
//
// A terminal is **able to call** when it is connected — or was disconnected less
// than the offline grace ago (a page reloading, the gateway restarting) — and its
// latest report shows a camera and a microphone that are present, permitted and
// live. Until its first report it is given the grace from when it connected (or
// from this component's start) before it counts as silent.
//
// Problems are events (the alerts component turns them into alerts, the health
// sampler stores the sites' states), and an admin may reload a kiosk's page
// remotely (audited; refused for an offline one). Signaling, the adapter, listens
// for 'reload' and tells the page.
import { TypedEmitter, NotFoundError, RateLimitedError, UnavailableError, type Clock } from '../core/index.ts';
import type { AuditLog, Actor } from '../audit/index.ts';
import type { Credential, Credentials } from '../credentials/index.ts';

export interface KioskSettings {
  /** A terminal disconnected longer than this is offline (sla.kiosk_offline_grace_seconds). */
  offlineGraceMs: number;
  /** How often the page reports when nothing changes; the ack tells it (sla.kiosk_report_seconds). */
  reportMs: number;
  /** How often an idle page opens camera and microphone to prove them; the ack tells it (sla.kiosk_device_check_seconds). */
  deviceCheckMs: number;
  /** Reports a terminal may send a minute; more are refused with rate-limited (sla.kiosk_reports_per_minute). */
  reportsPerMinute: number;
}

export interface DeviceHealth { present: boolean; permitted: boolean; live: boolean }

export interface KioskReportBody {
  page: 'start' | 'call' | 'ended';
  visible: boolean;
  camera: DeviceHealth;
  microphone: DeviceHealth;
  lastActivityAt: number | null;
}

/** Why a terminal cannot call: offline, no usable camera or microphone, no report since it connected. */
export type KioskProblem = 'offline' | 'camera' | 'microphone' | 'silent';

export interface TerminalHealth {
  id: string;
  name: string;
  siteId: string;
  online: boolean;
  /** When its connection last came or went (ms since the epoch). */
  since: number;
  report: (KioskReportBody & { at: number }) | null;
  problems: KioskProblem[];
  able: boolean;
}

export type KioskHealthEvents = {
  /** A terminal's problems changed (an empty list: it is fine again). */
  health: [TerminalHealth, { added: KioskProblem[]; removed: KioskProblem[] }];
  /** A site's terminals went from some able to none, or back. */
  site: [{ siteId: string; able: boolean }];
  /** An admin asked for the terminal's page to reload (signaling tells it). */
  reload: [string];
  /** A terminal's first socket connected, or its last one went away. */
  presence: [{ id: string; online: boolean }];
  /** A report was accepted (after its problems were evaluated): the terminal's view with it. */
  report: [TerminalHealth];
};

interface Kiosk {
  credential: Credential;
  sockets: number;
  since: number;
  report: (KioskReportBody & { at: number }) | null;
  reports: number[];
  problems: KioskProblem[];
  timer: NodeJS.Timeout | null;
}

const MINUTE = 60_000;
const usable = (d: DeviceHealth) => d.present && d.permitted && d.live;

export class KioskHealth extends TypedEmitter<KioskHealthEvents> {
  readonly #clock: Clock;
  readonly #credentials: Credentials;
  readonly #audit: AuditLog;
  readonly #s: KioskSettings;
  readonly #kiosks = new Map<string, Kiosk>();
  /** Sites with at least one terminal, and whether one of them is able to call. */
  readonly #sites = new Map<string, boolean>();
  readonly #onRevoked = (c: Credential) => { if (c.kind === 'terminal') this.#forget(c.id); };
  #closed = false;

  constructor(deps: { clock: Clock; credentials: Credentials; audit: AuditLog; settings: KioskSettings }) {
    super();
    this.#clock = deps.clock;
    this.#credentials = deps.credentials;
    this.#audit = deps.audit;
    this.#s = deps.settings;
    deps.credentials.on('revoked', this.#onRevoked);
  }

  get closed(): boolean { return this.#closed; }

  /** Knows every terminal that is not revoked; each has the grace from now to connect. */
  async start(): Promise<void> {
    for (const c of await this.#credentials.list('terminal')) if (c.revokedAt === null && c.siteId) this.#kiosk(c);
    for (const id of this.#kiosks.keys()) this.#evaluate(id);
  }

  #kiosk(credential: Credential): Kiosk {
    let k = this.#kiosks.get(credential.id);
    if (!k) {
      k = { credential, sockets: 0, since: this.#clock.now(), report: null, reports: [], problems: [], timer: null };
      this.#kiosks.set(credential.id, k);
    }
    return k;
  }

  /** A socket of the terminal connected (signaling). */
  connected(terminal: Credential): void {
    if (this.#closed || !terminal.siteId) return;
    const k = this.#kiosk(terminal);
    k.credential = terminal;
    const first = k.sockets++ === 0;
    if (first) {
      k.since = this.#clock.now();
      // A page that reconnects reports again; what it said before it left no longer holds.
      k.report = null;
    }
    this.#evaluate(terminal.id);
    if (first) this.safeEmit('presence', { id: terminal.id, online: true });
  }

  /** A socket of the terminal went away (signaling). */
  disconnected(terminalId: string): void {
    const k = this.#kiosks.get(terminalId);
    if (this.#closed || !k || k.sockets === 0) return;
    const last = --k.sockets === 0;
    if (last) k.since = this.#clock.now();
    this.#evaluate(terminalId);
    if (last) this.safeEmit('presence', { id: terminalId, online: false });
  }

  /** The page's report; the answer tells it when to report next. Too many a minute are refused. */
  report(terminalId: string, body: KioskReportBody): { nextMs: number; deviceCheckMs: number } {
    const k = this.#kiosks.get(terminalId);
    if (this.#closed || !k) throw new UnavailableError('kiosk health is not running', { reason: 'unavailable' });
    const now = this.#clock.now();
    while (k.reports.length > 0 && k.reports[0]! <= now - MINUTE) k.reports.shift();
    if (k.reports.length >= this.#s.reportsPerMinute) {
      throw new RateLimitedError(`at most ${this.#s.reportsPerMinute} health reports a minute`, (k.reports[0]! + MINUTE - now) / 1000, {
        reason: 'kiosk.report-rate', params: { limit: this.#s.reportsPerMinute },
      });
    }
    k.reports.push(now);
    k.report = { ...body, camera: { ...body.camera }, microphone: { ...body.microphone }, at: now };
    this.#evaluate(terminalId);
    this.safeEmit('report', this.#view(k));
    return { nextMs: this.#s.reportMs, deviceCheckMs: this.#s.deviceCheckMs };
  }

  get(terminalId: string): TerminalHealth | undefined {
    const k = this.#kiosks.get(terminalId);
    return k && this.#view(k);
  }

  list(siteId?: string): TerminalHealth[] {
    return [...this.#kiosks.values()].filter((k) => siteId === undefined || k.credential.siteId === siteId).map((k) => this.#view(k));
  }

  /** Each site that has terminals: `ready` when one of them is able to call, else `down` (the health samples' `terminals:<site>`). */
  siteStates(): Record<string, 'ready' | 'down'> {
    return Object.fromEntries([...this.#sites].map(([siteId, able]) => [siteId, able ? 'ready' : 'down']));
  }

  /** Asks the terminal's page to reload; audited. Refused for an unknown or offline terminal. */
  async reload(actor: Actor, terminalId: string): Promise<void> {
    const k = this.#kiosks.get(terminalId);
    if (!k) throw new NotFoundError(`terminal ${terminalId} not found`, { reason: 'terminal.not-found', params: { id: terminalId } });
    if (k.sockets === 0) {
      await this.#audit.append({ actor, action: 'terminal.reload', target: { type: 'terminal', id: terminalId }, outcome: 'failed', siteId: k.credential.siteId, details: { reason: 'offline' } });
      throw new UnavailableError(`terminal ${terminalId} is offline`, { reason: 'terminal.offline', params: { name: k.credential.label } });
    }
    await this.#audit.append({ actor, action: 'terminal.reload', target: { type: 'terminal', id: terminalId }, outcome: 'ok', siteId: k.credential.siteId });
    this.safeEmit('reload', terminalId);
  }

  #view(k: Kiosk): TerminalHealth {
    return {
      id: k.credential.id, name: k.credential.label, siteId: k.credential.siteId!, online: k.sockets > 0, since: k.since,
      report: k.report && { ...k.report, camera: { ...k.report.camera }, microphone: { ...k.report.microphone } },
      problems: [...k.problems], able: k.problems.length === 0,
    };
  }

  /** What keeps the terminal from calling now, and when that may change by itself (the grace ending). */
  #judge(k: Kiosk, now: number): { problems: KioskProblem[]; until: number | null } {
    const graceEnd = k.since + this.#s.offlineGraceMs;
    const inGrace = now < graceEnd;
    if (k.sockets === 0) {
      if (!inGrace) return { problems: ['offline'], until: null };
      // Reconnecting: judged by what it last said, until the grace ends.
      return { problems: k.report ? this.#devices(k.report) : [], until: graceEnd };
    }
    if (!k.report) return inGrace ? { problems: [], until: graceEnd } : { problems: ['silent'], until: null };
    return { problems: this.#devices(k.report), until: null };
  }

  #devices(r: KioskReportBody): KioskProblem[] {
    return [...(usable(r.camera) ? [] : ['camera' as const]), ...(usable(r.microphone) ? [] : ['microphone' as const])];
  }

  #evaluate(terminalId: string): void {
    const k = this.#kiosks.get(terminalId);
    if (!k || this.#closed) return;
    if (k.timer) { this.#clock.clearTimeout(k.timer); k.timer = null; }
    const now = this.#clock.now();
    const { problems, until } = this.#judge(k, now);
    if (until !== null) k.timer = this.#clock.setTimeout(() => { k.timer = null; this.#evaluate(terminalId); }, until - now);
    const added = problems.filter((p) => !k.problems.includes(p));
    const removed = k.problems.filter((p) => !problems.includes(p));
    k.problems = problems;
    if (added.length || removed.length) this.safeEmit('health', this.#view(k), { added, removed });
    this.#evaluateSite(k.credential.siteId!);
  }

  #evaluateSite(siteId: string): void {
    const kiosks = [...this.#kiosks.values()].filter((k) => k.credential.siteId === siteId);
    const before = this.#sites.get(siteId);
    if (kiosks.length === 0) {
      // No terminal left: nothing to judge the site by (and no alert to keep open).
      this.#sites.delete(siteId);
      if (before === false) this.safeEmit('site', { siteId, able: true });
      return;
    }
    const able = kiosks.some((k) => k.problems.length === 0);
    this.#sites.set(siteId, able);
    if (before === undefined ? !able : before !== able) this.safeEmit('site', { siteId, able });
  }

  #forget(terminalId: string): void {
    const k = this.#kiosks.get(terminalId);
    if (!k || this.#closed) return;
    if (k.timer) this.#clock.clearTimeout(k.timer);
    this.#kiosks.delete(terminalId);
    if (k.problems.length) this.safeEmit('health', { ...this.#view(k), problems: [], able: true }, { added: [], removed: k.problems });
    this.#evaluateSite(k.credential.siteId!);
  }

  /** Clears every timer and stops listening (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#credentials.off('revoked', this.#onRevoked);
    for (const k of this.#kiosks.values()) if (k.timer) this.#clock.clearTimeout(k.timer);
    this.#kiosks.clear();
    this.removeAllListeners();
  }
}
