// The Alerts component: turns other components' events (probe down/up, a call
// leg below the MOS threshold, a SIP account failed/registered, a media worker
// died/replaced, a device offline/online) into alerts — one per open condition,
// a recovery message when it clears — and delivers each to the webhook and to a
// retained MQTT topic per open alert. Its sources arrive at construction.
import type { Logger } from 'pino';
import { TypedEmitter, type Clock } from '../core/index.ts';
import { alertMessage, type AlertKind, type AlertMessage, type IncidentClass, type Localised, type OpenCondition } from './alert.ts';
import { Webhook, type WebhookDrop, type WebhookSettings } from './webhook.ts';

/** The structural part of a typed emitter the component listens to. */
interface Source<E extends Record<string, unknown[]>> {
  on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): unknown;
  off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): unknown;
}

export interface AlertSources {
  /** The synthetic probe (src/quality): `down` after N failed probes, `up` after one succeeds. */
  probe?: Source<{ down: [{ since: number; at: number }]; up: [{ at: number }] }>;
  /** The quality monitor (src/quality): a leg below the MOS threshold for N intervals, its recovery, the call's end. */
  quality?: Source<{
    'low-quality': [{ callId: string; participantId: string; mos: number; intervals: number }];
    recovered: [{ callId: string; participantId: string; mos: number }];
    summary: [{ callId: string }];
  }>;
  /** The SIP bridge (src/sip-bridge): every account's registration state change. */
  sip?: Source<{ account: [{ id: string; state: string; reason?: string; code?: number }] }>;
  /** The SFU worker pool (src/sfu). */
  sfu?: Source<{ workerdied: [number, Error]; workerreplaced: [number, number] }>;
  /** The downtime budget (src/quality's BudgetWatch): a site's month crossed a share of its budget, or fell below it again. */
  budget?: Source<{
    burn: [{ siteId: string; month: string; threshold: number; consumedPercent: number; downtimeMinutes: number; budgetMinutes: number }];
    within: [{ siteId: string; month: string; threshold: number }];
  }>;
  /** The storage quota (src/storage): its level changed (ok, warning at warn_percent, full); `usage()` is the level now. */
  storage?: Source<{ level: [StorageLevel] }> & { usage(): StorageLevel };
  /**
   * Kiosk health (src/terminals' KioskHealth): a terminal's problems changed (offline, camera, microphone, silent),
   * or a site went from some terminal able to call to none, or back.
   */
  kiosk?: Source<{
    health: [{ id: string; name: string; siteId: string }, { added: string[]; removed: string[] }];
    site: [{ siteId: string; able: boolean }];
  }>;
  /** Device presence (the device hub's observer): connected and gone devices. */
  devices?: Source<{
    online: [{ id: string; siteId: string; kind: string }];
    offline: [{ id: string; siteId: string; kind: string }];
  }>;
}

/** What a kiosk problem means, for the alert's text. */
const KIOSK_PROBLEMS: Record<string, Localised> = {
  offline: { en: 'offline', de: 'offline' },
  camera: { en: 'no usable camera (missing, not permitted or not delivering)', de: 'keine nutzbare Kamera (fehlt, nicht erlaubt oder liefert kein Bild)' },
  microphone: { en: 'no usable microphone (missing, not permitted or not delivering)', de: 'kein nutzbares Mikrofon (fehlt, nicht erlaubt oder liefert keinen Ton)' },
  silent: { en: 'connected but sends no health report', de: 'verbunden, sendet aber keinen Zustandsbericht' },
};

/** The storage quota's figures an alert carries. */
export interface StorageLevel { level: 'ok' | 'warning' | 'full'; usedBytes: number; quotaBytes: number; percent: number }

export interface AlertSettings {
  /** Empty: no webhook. */
  webhook: WebhookSettings | null;
  /** Publish alerts on the embedded broker (retained while open). */
  mqtt: boolean;
}

/** Publishes on the embedded broker (the device hub's `publish`). */
export type AlertPublisher = (topic: string, payload: string, opts: { qos: 1; retain: boolean }) => Promise<void>;

export type AlertsEvents = {
  /** A condition opened or cleared (the message as delivered). */
  alert: [AlertMessage];
  /** The webhook could not take a message after every attempt. */
  dropped: [WebhookDrop];
  /** One webhook attempt failed (`attempts`: its number). */
  'webhook-failed': [WebhookDrop];
  /** The webhook took a message (2xx). */
  delivered: [AlertMessage];
};

/** `portier/$alerts/<site or _>/<alert id>`: the `$` level keeps it apart from any site's device topics (like `$dead-letter`). */
export function alertTopic(siteId: string | null, id: string): string {
  return `portier/$alerts/${topicLevel(siteId ?? '_')}/${topicLevel(id)}`;
}

const topicLevel = (s: string): string => s.replace(/[/+#\u0000]/g, '_');

/** Door controllers and panels keep doors working: their loss seriously impairs the service. */
const DOOR_KINDS = new Set(['door', 'panel']);

export class Alerts extends TypedEmitter<AlertsEvents> {
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #publish: AlertPublisher | null;
  readonly #webhook: Webhook | null;
  readonly #open = new Map<string, OpenCondition>();
  readonly #unlisten: Array<() => void> = [];
  readonly #pending = new Set<Promise<void>>();
  #closed = false;

  constructor(deps: { clock: Clock; logger: Logger; settings: AlertSettings; sources: AlertSources; publish?: AlertPublisher }) {
    super();
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#publish = deps.settings.mqtt && deps.publish ? deps.publish : null;
    this.#webhook = deps.settings.webhook
      ? new Webhook({
        settings: deps.settings.webhook, clock: deps.clock, logger: deps.logger,
        onDrop: (drop) => this.safeEmit('dropped', drop), onDelivered: (m) => this.safeEmit('delivered', m),
        onFailed: (f) => this.safeEmit('webhook-failed', f),
      })
      : null;
    this.#listen(deps.sources);
  }

  get closed(): boolean { return this.#closed; }

  /** The open alerts with the time now left on their clocks. */
  list(): AlertMessage[] {
    const now = this.#clock.now();
    return [...this.#open.values()].map((c) => alertMessage(c, 'open', now));
  }

  /** Opens an alert unless the same condition is already open (then nothing is sent). */
  raise(c: { id: string; kind: AlertKind; incidentClass: IncidentClass; siteId: string | null; subject: OpenCondition['subject']; text: Localised }): void {
    if (this.#closed || this.#open.has(c.id)) return;
    const condition: OpenCondition = { ...c, openedAt: this.#clock.now() };
    this.#open.set(c.id, condition);
    this.#send(alertMessage(condition, 'open', condition.openedAt));
  }

  /** Clears an open alert with a recovery message; nothing when it is not open. */
  clear(id: string): void {
    const condition = this.#open.get(id);
    if (this.#closed || !condition) return;
    this.#open.delete(id);
    this.#send(alertMessage(condition, 'recovered', this.#clock.now()));
  }

  #send(message: AlertMessage): void {
    this.#logger[message.state === 'open' ? 'warn' : 'info'](
      { alert: message.id, kind: message.kind, incidentClass: message.incidentClass, state: message.state },
      `alerts: ${message.text.en} / ${message.text.de}`,
    );
    this.safeEmit('alert', message);
    this.#webhook?.deliver(message);
    if (this.#publish) {
      const topic = alertTopic(message.siteId, message.id);
      // Open: retained, so an integration subscribing later sees every open alert. Recovered: the retained
      // open message is cleared (empty retained payload), then the recovery is published unretained.
      const publish = this.#publish;
      const p = (message.state === 'open'
        ? publish(topic, JSON.stringify(message), { qos: 1, retain: true })
        : publish(topic, '', { qos: 1, retain: true }).then(() => publish(topic, JSON.stringify(message), { qos: 1, retain: false })))
        .catch((error: unknown) => { if (!this.#closed) this.#logger.error({ alert: message.id, err: error }, 'alerts: MQTT publish failed'); })
        .finally(() => this.#pending.delete(p));
      this.#pending.add(p);
    }
  }

  #on<E extends Record<string, unknown[]>, K extends keyof E & string>(source: Source<E>, event: K, fn: (...args: E[K]) => void): void {
    source.on(event, fn);
    this.#unlisten.push(() => source.off(event, fn));
  }

  #listen(s: AlertSources): void {
    if (s.probe) {
      this.#on(s.probe, 'down', (d) => this.raise({
        id: 'probe', kind: 'probe-down', incidentClass: 1, siteId: null, subject: { since: d.since },
        text: { en: 'service down: the synthetic probe failed repeatedly', de: 'Dienst nicht verfügbar: die synthetische Prüfung schlug wiederholt fehl' },
      }));
      this.#on(s.probe, 'up', () => this.clear('probe'));
    }
    if (s.quality) {
      const id = (callId: string, participantId: string) => `call:${callId}:${participantId}`;
      this.#on(s.quality, 'low-quality', (q) => this.raise({
        id: id(q.callId, q.participantId), kind: 'low-quality', incidentClass: 3, siteId: null,
        subject: { callId: q.callId, participantId: q.participantId, mos: q.mos, intervals: q.intervals },
        text: {
          en: `call ${q.callId}: audio quality below the threshold for ${q.intervals} intervals (MOS ${q.mos.toFixed(2)})`,
          de: `Anruf ${q.callId}: Sprachqualität ${q.intervals} Intervalle lang unter der Schwelle (MOS ${q.mos.toFixed(2)})`,
        },
      }));
      this.#on(s.quality, 'recovered', (q) => this.clear(id(q.callId, q.participantId)));
      // A call that ended has no low-quality leg left.
      this.#on(s.quality, 'summary', (summary) => {
        for (const key of [...this.#open.keys()]) if (key.startsWith(`call:${summary.callId}:`)) this.clear(key);
      });
    }
    if (s.sip) {
      this.#on(s.sip, 'account', (a) => {
        if (a.state === 'failed') {
          const why = a.reason ? ` (${a.reason}${a.code ? ` ${a.code}` : ''})` : '';
          this.raise({
            id: `sip:${a.id}`, kind: 'sip-registration', incidentClass: 2, siteId: null, subject: { account: a.id, reason: a.reason ?? null },
            text: { en: `SIP account ${a.id} is not registered${why}`, de: `SIP-Konto ${a.id} ist nicht registriert${why}` },
          });
        } else if (a.state === 'registered') this.clear(`sip:${a.id}`);
      });
    }
    if (s.sfu) {
      this.#on(s.sfu, 'workerdied', (index) => this.raise({
        id: `worker:${index}`, kind: 'worker-died', incidentClass: 2, siteId: null, subject: { worker: index },
        text: { en: `media worker ${index} died; its calls ended`, de: `Medien-Worker ${index} ist ausgefallen; seine Anrufe wurden beendet` },
      }));
      this.#on(s.sfu, 'workerreplaced', (index) => this.clear(`worker:${index}`));
    }
    if (s.budget) {
      const id = (b: { siteId: string; month: string; threshold: number }) => `budget:${b.siteId}:${b.month}:${b.threshold}`;
      this.#on(s.budget, 'burn', (b) => this.raise({
        // Used up, the month misses the contract's availability: seriously impaired. Before that, a warning.
        id: id(b), kind: 'budget-burn', incidentClass: b.threshold >= 100 ? 2 : 3, siteId: b.siteId,
        subject: { month: b.month, threshold: b.threshold, consumedPercent: b.consumedPercent, downtimeMinutes: b.downtimeMinutes, budgetMinutes: b.budgetMinutes },
        text: {
          en: `site ${b.siteId}: ${b.consumedPercent} % of ${b.month}'s downtime budget used (${b.downtimeMinutes} of ${b.budgetMinutes} minutes; alert at ${b.threshold} %)`,
          de: `Standort ${b.siteId}: ${b.consumedPercent} % des Ausfallbudgets für ${b.month} verbraucht (${b.downtimeMinutes} von ${b.budgetMinutes} Minuten; Alarm ab ${b.threshold} %)`,
        },
      }));
      this.#on(s.budget, 'within', (b) => this.clear(id(b)));
    }
    if (s.storage) {
      this.#storageLevel(s.storage.usage());
      this.#on<{ level: [StorageLevel] }, 'level'>(s.storage, 'level', (u) => this.#storageLevel(u));
    }
    if (s.kiosk) {
      // One alert per terminal and problem, so each clears on its own (the camera fixed while still offline, say).
      const id = (terminalId: string, problem: string) => `terminal:${terminalId}:${problem}`;
      this.#on(s.kiosk, 'health', (t, change) => {
        for (const problem of change.removed) this.clear(id(t.id, problem));
        for (const problem of change.added) {
          const what = KIOSK_PROBLEMS[problem] ?? { en: problem, de: problem };
          this.raise({
            id: id(t.id, problem), kind: 'terminal-health', incidentClass: 2, siteId: t.siteId, subject: { terminal: t.id, problem },
            text: { en: `terminal ${t.name}: ${what.en}`, de: `Terminal ${t.name}: ${what.de}` },
          });
        }
      });
      this.#on(s.kiosk, 'site', (site) => {
        if (site.able) { this.clear(`site:${site.siteId}:terminals`); return; }
        this.raise({
          id: `site:${site.siteId}:terminals`, kind: 'site-no-terminal', incidentClass: 1, siteId: site.siteId, subject: { site: site.siteId },
          text: { en: `site ${site.siteId}: no terminal is able to call (counts as downtime)`, de: `Standort ${site.siteId}: kein Terminal kann anrufen (zählt als Ausfall)` },
        });
      });
    }
    if (s.devices) {
      this.#on(s.devices, 'offline', (d) => {
        if (d.kind === 'integration') return;
        this.raise({
          id: `device:${d.id}`, kind: 'device-offline', incidentClass: DOOR_KINDS.has(d.kind) ? 2 : 3, siteId: d.siteId,
          subject: { device: d.id, deviceKind: d.kind },
          text: { en: `device ${d.id} (${d.kind}) is offline`, de: `Gerät ${d.id} (${d.kind}) ist offline` },
        });
      });
      this.#on(s.devices, 'online', (d) => this.clear(`device:${d.id}`));
    }
  }

  /** Nearly full is minor (class 3); used up refuses growing writes: seriously impaired (class 2). Each clears when usage drops below it. */
  #storageLevel(u: StorageLevel): void {
    const subject = { usedBytes: u.usedBytes, quotaBytes: u.quotaBytes, percent: u.percent };
    const gb = (bytes: number) => (bytes / 1e9).toFixed(2);
    if (u.level === 'ok') this.clear('storage:warning');
    else {
      this.raise({
        id: 'storage:warning', kind: 'storage-quota', incidentClass: 3, siteId: null, subject,
        text: { en: `storage nearly used up: ${u.percent} % of ${gb(u.quotaBytes)} GB`, de: `Speicherkontingent fast erschöpft: ${u.percent} % von ${gb(u.quotaBytes)} GB` },
      });
    }
    if (u.level === 'full') {
      this.raise({
        id: 'storage:full', kind: 'storage-quota', incidentClass: 2, siteId: null, subject,
        text: { en: `storage quota used up (${gb(u.usedBytes)} of ${gb(u.quotaBytes)} GB): new records and uploads are refused`, de: `Speicherkontingent erschöpft (${gb(u.usedBytes)} von ${gb(u.quotaBytes)} GB): neue Datensätze und Uploads werden abgelehnt` },
      });
    } else this.clear('storage:full');
  }

  protected override onListenerError(event: string, error: unknown): void {
    this.#logger.error({ event, err: error }, 'alerts: a listener threw');
  }

  /** Stops listening, aborts webhook deliveries under way and waits for MQTT publishes (idempotent). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const unlisten of this.#unlisten) unlisten();
    this.#unlisten.length = 0;
    await this.#webhook?.close();
    await Promise.allSettled([...this.#pending]);
  }
}
