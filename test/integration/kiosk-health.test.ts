// Kiosk health over the real socket.io path (src/terminals/kiosk-health.ts): a terminal
// reports its page, camera, microphone and last activity with terminal.health (validated,
// rate-bounded); a terminal without a usable camera or microphone, or offline longer than
// the grace, raises an alert and recovers when fixed; a site with no terminal able to call
// has its own alert and is stored as down in the health samples; an admin may reload a
// kiosk remotely (permission-checked, audited, refused by name when it is offline).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { startGateway, ApiClient } from '../support/gateway.ts';
import { seedSite, connect, ack, next, PASSWORD, type SiteFixture } from '../support/signaling.ts';
import { GatewayManualClock } from '../support/manual-clock.ts';
import type { AlertMessage } from '../../src/alerts/index.ts';
import { SlaRecords } from '../../src/quality/index.ts';

const GRACE = 60_000;
const good = { present: true, permitted: true, live: true };
const report = (over: Record<string, unknown> = {}) => ({ page: 'start', visible: true, camera: good, microphone: good, lastActivityAt: null, ...over });

describe('kiosk health', () => {
  const clock = new GatewayManualClock();
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let site: SiteFixture;
  const alerts: AlertMessage[] = [];
  const open: Socket[] = [];

  beforeAll(async () => {
    gw = await startGateway({ PORTIER_SLA__KIOSK_REPORTS_PER_MINUTE: '4', PORTIER_SLA__KIOSK_OFFLINE_GRACE_SECONDS: String(GRACE / 1000) }, { clock });
    site = await seedSite(gw);
    gw.gateway.services.alerts.on('alert', (m) => alerts.push(m));
  });
  afterAll(async () => {
    for (const s of open) s.close();
    await gw?.close();
  });

  const kiosk = () => gw.gateway.services.kiosk;
  const alertLog = () => alerts.splice(0).map((m) => `${m.state} ${m.id} ${m.incidentClass}`);
  /** The terminal's socket, once the kiosk component has counted it online. */
  async function terminal(): Promise<Socket> {
    const online = new Promise<void>((resolve) => {
      const on = (p: { id: string; online: boolean }) => { if (p.id === site.terminal.id && p.online) { kiosk().off('presence', on); resolve(); } };
      kiosk().on('presence', on);
    });
    const s = await connect(gw, '/terminal', site.terminal.cookie);
    open.push(s);
    await online;
    return s;
  }
  async function disconnect(s: Socket): Promise<void> {
    const offline = new Promise<void>((resolve) => {
      const on = (p: { id: string; online: boolean }) => { if (p.id === site.terminal.id && !p.online) { kiosk().off('presence', on); resolve(); } };
      kiosk().on('presence', on);
    });
    s.close();
    await offline;
  }

  it('a report is validated, answered with the reporting interval and bounded per minute', async () => {
    const s = await terminal();
    expect(kiosk().get(site.terminal.id)).toMatchObject({ online: true, report: null, problems: [], able: true }); // within its grace
    expect(await ack(s, 'terminal.health', report({ lastActivityAt: clock.t - 5000 }))).toEqual({ ok: true, nextMs: 30_000, deviceCheckMs: 900_000 });
    expect(kiosk().get(site.terminal.id)!.report).toMatchObject({ page: 'start', camera: good, microphone: good, lastActivityAt: clock.t - 5000, at: clock.t });

    // Wrong shapes are refused by name and change nothing.
    for (const bad of [report({ page: 'dancing' }), report({ camera: { present: true } }), report({ extra: 1 }), report({ lastActivityAt: -1 })]) {
      const r = await ack(s, 'terminal.health', bad);
      expect([r.ok, r.error]).toEqual([false, 'invalid']);
    }
    // kiosk_reports_per_minute = 4: three more pass, the fifth is refused; a minute later it passes again.
    for (let i = 0; i < 3; i++) expect((await ack(s, 'terminal.health', report())).ok).toBe(true);
    expect(await ack(s, 'terminal.health', report())).toMatchObject({ ok: false, error: 'rate-limited', reason: 'kiosk.report-rate', params: { limit: 4 } });
    await clock.advance(60_000);
    expect((await ack(s, 'terminal.health', report())).ok).toBe(true);
    expect(alertLog()).toEqual([]);
    await disconnect(s);
    await clock.advance(GRACE); // a fresh minute of reports for the next test; offline meanwhile
    expect(alertLog()).toEqual([`open terminal:${site.terminal.id}:offline 2`, 'open site:hq:terminals 1']);
  });

  it('no usable camera or microphone is an alert per problem, and the site without an able terminal one more; each recovers when fixed', async () => {
    const s = await terminal();
    // Online again: no longer offline, and given its grace to report, the site's terminal counts as able.
    expect(alertLog()).toEqual([`recovered terminal:${site.terminal.id}:offline 2`, 'recovered site:hq:terminals 1']);
    expect((await ack(s, 'terminal.health', report())).ok).toBe(true);
    expect(alertLog()).toEqual([]);

    // The camera permission is withdrawn: the terminal cannot call, and it is the site's only one.
    await ack(s, 'terminal.health', report({ camera: { present: true, permitted: false, live: false } }));
    expect(alertLog()).toEqual([`open terminal:${site.terminal.id}:camera 2`, 'open site:hq:terminals 1']);
    expect(kiosk().siteStates()).toEqual({ hq: 'down' });
    // The microphone goes too (unplugged): one more alert, the site's stays as it is.
    await ack(s, 'terminal.health', report({ camera: { present: true, permitted: false, live: false }, microphone: { present: false, permitted: true, live: false } }));
    expect(alertLog()).toEqual([`open terminal:${site.terminal.id}:microphone 2`]);
    const camera = gw.gateway.services.alerts.list().find((m) => m.id === `terminal:${site.terminal.id}:camera`)!;
    expect([camera.kind, camera.siteId, camera.text.en, camera.text.de]).toEqual([
      'terminal-health', 'hq', 'terminal Lobby 1: no usable camera (missing, not permitted or not delivering)', 'Terminal Lobby 1: keine nutzbare Kamera (fehlt, nicht erlaubt oder liefert kein Bild)',
    ]);
    // Fixed: both recover, and the site with them.
    await ack(s, 'terminal.health', report({ page: 'call' }));
    expect(alertLog()).toEqual([`recovered terminal:${site.terminal.id}:camera 2`, `recovered terminal:${site.terminal.id}:microphone 2`, 'recovered site:hq:terminals 1']);
    expect(kiosk().siteStates()).toEqual({ hq: 'ready' });
    await disconnect(s);
  });

  it('offline only after the grace; a reconnect within it is no alert; the samples store the site as down and up again', async () => {
    let s = await terminal();
    await ack(s, 'terminal.health', report());
    await disconnect(s);
    await clock.advance(GRACE - 1000);
    expect(alertLog()).toEqual([]); // a page reloading
    s = await terminal();
    await ack(s, 'terminal.health', report());
    await disconnect(s);
    const gone = clock.t;
    await clock.advance(GRACE); // past the grace: offline
    expect(alertLog()).toEqual([`open terminal:${site.terminal.id}:offline 2`, 'open site:hq:terminals 1']);
    await clock.advance(10_000); // the next health sample (every 10 s) stores the site as down
    const back = clock.t;
    s = await terminal();
    await ack(s, 'terminal.health', report());
    expect(alertLog()).toEqual([`recovered terminal:${site.terminal.id}:offline 2`, 'recovered site:hq:terminals 1']);
    await clock.advance(10_000); // … and the one after as ready again
    const stored = await new SlaRecords(gw.gateway.services.store).componentStates('terminals:hq', { start: gone + GRACE, end: clock.t + 1 });
    // The state at the grace's end (stored before it: ready), then down within the next sample, ready after the return.
    expect(stored.map((c) => [c.state, c.at >= gone + GRACE, c.at <= back])).toEqual([['ready', false, true], ['down', true, true], ['ready', true, false]]);
    await disconnect(s);
  });

  it('an admin reloads a kiosk remotely: the page gets terminal.reload, the audit log has it; without terminal.admin it is forbidden, an offline terminal is refused by name', async () => {
    const s = await terminal();
    await ack(s, 'terminal.health', report());
    const reload = next(s, 'terminal.reload');
    const res = await site.admin.post(`/api/terminals/${site.terminal.id}/reload`, {});
    expect([res.status, res.body]).toEqual([202, { reloading: true }]);
    expect(await reload).toEqual({});
    const audit = (await site.admin.get('/api/audit?action=terminal.reload')).body as Array<{ target_id: string; outcome: string; site_id: string }>;
    expect(audit.map((e) => [e.target_id, e.outcome, e.site_id])).toEqual([[site.terminal.id, 'ok', 'hq']]);

    // A receptionist may answer calls, not administer terminals.
    const rita = new ApiClient(gw.base);
    rita.cookie = site.users.rita!.cookie;
    const forbidden = await rita.post(`/api/terminals/${site.terminal.id}/reload`, {});
    expect([forbidden.status, forbidden.body.reason]).toEqual([403, 'permission.missing']);
    expect(await site.admin.post('/api/terminals/no-such-terminal/reload', {})).toMatchObject({ status: 404, body: { reason: 'terminal.not-found' } });

    // An admin of another site holds terminal.admin, but not here: the route is scoped by the terminal's site.
    await site.admin.post('/api/sites', { id: 'lab', name: 'Lab', timeZone: 'Europe/Berlin' });
    const lena = (await site.admin.post('/api/users', { login: 'lena', displayName: 'lena', password: PASSWORD })).body as { id: string };
    expect((await site.admin.post(`/api/users/${lena.id}/roles`, { roleId: 'admin', siteId: 'lab' })).status).toBe(200);
    const labAdmin = new ApiClient(gw.base);
    expect((await labAdmin.post('/api/auth/login', { login: 'lena', password: PASSWORD })).status).toBe(200);
    const foreign = await labAdmin.post(`/api/terminals/${site.terminal.id}/reload`, {});
    expect([foreign.status, foreign.body.reason]).toEqual([403, 'permission.missing']);
    const reloads = (await site.admin.get('/api/audit?action=terminal.reload')).body as Array<{ outcome: string }>;
    expect(reloads.map((e) => e.outcome)).toEqual(['ok']); // the refused one reloaded nothing

    // The list shows each terminal's health for the admin page.
    const listed = (await site.admin.get('/api/terminals')).body as Array<{ id: string; health: { online: boolean; able: boolean; problems: string[]; report: { camera: unknown } } | null }>;
    expect(listed.find((t) => t.id === site.terminal.id)!.health).toMatchObject({ online: true, able: true, problems: [], report: { camera: good } });

    await disconnect(s);
    const offline = await site.admin.post(`/api/terminals/${site.terminal.id}/reload`, {});
    expect([offline.status, offline.body.error, offline.body.reason, offline.body.params]).toEqual([503, 'unavailable', 'terminal.offline', { name: 'Lobby 1' }]);
    const after = (await site.admin.get('/api/audit?action=terminal.reload')).body as Array<{ outcome: string }>;
    expect(after.map((e) => e.outcome).sort()).toEqual(['failed', 'ok']);
  });
});
