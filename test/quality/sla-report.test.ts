// The monthly SLA report through a real gateway over HTTP: stored probes, a gap,
// calls and their quality summaries of a Berlin November become the contract's
// figures in JSON and the same figures in CSV; excusing downtime needs sla.admin
// (reception, with report.read, may read the report but not excuse), is audited
// and moves the excused minutes out of the downtime.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, signInFirstAdmin, startGateway } from '../support/gateway.ts';

const PASSWORD = 'reception password 1234';
const at = (iso: string) => Date.parse(iso);
const NOVEMBER_MINUTES = 30 * 1440;

describe('SLA report API', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let admin: ApiClient;
  let reception: ApiClient;

  beforeAll(async () => {
    gw = await startGateway();
    admin = await signInFirstAdmin(gw);
    for (const [id, timeZone] of [['hq', 'Europe/Berlin'], ['branch', 'Europe/Berlin']]) {
      expect((await admin.post('/api/sites', { id, name: id, timeZone })).status).toBe(201);
    }
    const user = await admin.post('/api/users', { login: 'rita', displayName: 'Rita', password: PASSWORD });
    expect((await admin.post(`/api/users/${user.body.id}/roles`, { roleId: 'reception', siteId: 'hq' })).status).toBeLessThan(300);
    reception = new ApiClient(gw.base);
    expect((await reception.post('/api/auth/login', { login: 'rita', password: PASSWORD })).status).toBe(200);

    const db = gw.gateway.services.store.db.withTables<{
      sla_probes: { at: number; ok: number; sent: number; received: number; error: string | null };
      sla_periods: { id: string; kind: string; site_id: string | null; start_at: number; end_at: number; reason: string | null; note: string | null; drained: number; created_at: number; created_by: string | null };
      calls: { id: string; site_id: string; terminal_id: string; entry_id: string; started_at: number; answered_at: number | null; answered_by: string | null; ended_at: number | null; outcome: string | null; end_reason: string | null };
      call_quality: { call_id: string; started_at: number; ended_at: number; intervals: number; min_mos: number | null; mean_mos: number | null; below_share: number | null; worst_loss_percent: number | null; worst_jitter_ms: number | null; worst_rtt_ms: number | null };
    }>();
    // Wednesday 4 November: probes fail at 10:01, 10:02 and 10:03 (down 10:01 – 10:04), and once alone at 11:00 (not down).
    const probes: Array<[string, boolean]> = [
      ['10:00', true], ['10:01', false], ['10:02', false], ['10:03', false], ['10:04', true], ['10:59', true], ['11:00', false], ['11:01', true],
    ];
    await db.insertInto('sla_probes').values(probes.map(([t, ok]) => ({
      at: at(`2026-11-04T${t}:00Z`), ok: ok ? 1 : 0, sent: 10, received: ok ? 10 : 0, error: ok ? null : 'no media back',
    }))).execute();
    // Thursday 5 November: the gateway was not running 12:00:30 – 12:20:30 (not drained): minutes 12:00 … 12:20 are down.
    await db.insertInto('sla_periods').values({
      id: 'gap-1', kind: 'gap', site_id: null, start_at: at('2026-11-05T12:00:30Z'), end_at: at('2026-11-05T12:20:30Z'),
      reason: null, note: null, drained: 0, created_at: at('2026-11-05T12:20:30Z'), created_by: null,
    }).execute();
    const call = (id: string, site: string, started: string, answerMs: number | null) => ({
      id, site_id: site, terminal_id: 't1', entry_id: 'e1', started_at: at(started), answered_at: answerMs === null ? null : at(started) + answerMs,
      answered_by: answerMs === null ? null : 'u1', ended_at: at(started) + 120_000, outcome: answerMs === null ? 'missed' : 'answered', end_reason: 'hangup',
    });
    await db.insertInto('calls').values([
      call('c1', 'hq', '2026-11-02T09:00:00Z', 5000),
      call('c2', 'hq', '2026-11-03T09:00:00Z', 20_000),
      call('c3', 'hq', '2026-11-10T09:00:00Z', 10_000),
      call('c4', 'hq', '2026-11-11T09:00:00Z', null),
      call('c5', 'branch', '2026-11-11T09:00:00Z', 1000), // another site
      call('c6', 'hq', '2026-10-31T22:59:00Z', 1000), // 31 October 23:59 in Berlin: the month before
    ]).execute();
    const quality = (id: string, minMos: number) => ({
      call_id: id, started_at: 0, ended_at: 1, intervals: 4, min_mos: minMos, mean_mos: minMos, below_share: 0, worst_loss_percent: 0, worst_jitter_ms: 1, worst_rtt_ms: null,
    });
    await db.insertInto('call_quality').values([quality('c1', 3.2), quality('c2', 4.3), quality('c5', 1.5)]).execute();
  });
  afterAll(async () => { await gw?.close(); });

  const csvOf = (text: string) => new Map(text.trim().split('\r\n').slice(1).map((l) => {
    const i = l.indexOf(',');
    return [l.slice(0, i), l.slice(i + 1)] as const;
  }));

  it('JSON and CSV carry the stored month: outages, availability, answer rate and times, calls below the MOS threshold', async () => {
    const res = await reception.get('/api/sla/report?site=hq&month=2026-11');
    expect(res.status).toBe(200);
    const r = res.body;
    expect(r).toMatchObject({
      site: { id: 'hq' }, month: '2026-11', timeZone: 'Europe/Berlin', totalMinutes: NOVEMBER_MINUTES,
      outageMinutes: 3 + 21, windowMinutes: 0, plannedMinutes: 0, excusedMinutes: 0, downtimeMinutes: 24,
      probes: { total: 8, failed: 4 },
      calls: { total: 4, answered: 3, answerRatePercent: 75, timeToAnswerP50Ms: 10_000, timeToAnswerP90Ms: 20_000, withQuality: 2, belowMosThreshold: 1, mosThreshold: 3.6 },
    });
    expect(r.availabilityPercent).toBeCloseTo(((NOVEMBER_MINUTES - 24) / NOVEMBER_MINUTES) * 100, 10);
    expect(r.outages).toEqual([
      { start: at('2026-11-04T10:01:00Z'), end: at('2026-11-04T10:04:00Z'), source: 'probe', drained: false },
      { start: at('2026-11-05T12:00:30Z'), end: at('2026-11-05T12:20:30Z'), source: 'gap', drained: false },
    ]);

    expect(r.calls.mosDistribution).toEqual([
      { from: 1, to: 2, calls: 0 }, { from: 2, to: 2.5, calls: 0 }, { from: 2.5, to: 3, calls: 0 }, { from: 3, to: 3.6, calls: 1 },
      { from: 3.6, to: 4, calls: 0 }, { from: 4, to: 4.5, calls: 1 },
    ]);
    expect(r.calls.answerTimeDistribution.map((b: { from: number; to: number | null; calls: number }) => [b.from, b.to, b.calls])).toEqual([
      [0, 5, 0], [5, 10, 1], [10, 20, 1], [20, 30, 1], [30, 60, 0], [60, null, 0],
    ]);
    expect(r.days).toHaveLength(30);
    expect(r.days.filter((d: { downtimeMinutes: number }) => d.downtimeMinutes > 0)).toEqual([
      { date: '2026-11-04', downtimeMinutes: 3 }, { date: '2026-11-05', downtimeMinutes: 21 },
    ]);

    const csv = await reception.get('/api/sla/report?site=hq&month=2026-11&format=csv');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="sla-hq-2026-11.csv"');
    const figures = csvOf(csv.body);
    expect(Number(figures.get('availability_percent'))).toBe(r.availabilityPercent);
    for (const [key, value] of [
      ['total_minutes', r.totalMinutes], ['downtime_minutes', r.downtimeMinutes], ['outage_minutes', r.outageMinutes], ['excused_minutes', 0],
      ['calls', 4], ['calls_answered', 3], ['answer_rate_percent', 75], ['time_to_answer_p50_ms', 10_000], ['time_to_answer_p90_ms', 20_000],
      ['calls_below_mos_threshold', 1], ['probes_failed', 4],
    ] as const) expect([key, figures.get(key)]).toEqual([key, String(value)]);
    expect(figures.get('outage_probe')).toBe('2026-11-04T10:01:00.000Z/2026-11-04T10:04:00.000Z');
    expect([figures.get('downtime_minutes_2026-11-05'), figures.get('downtime_minutes_2026-11-06')]).toEqual(['21', '0']);
    expect([figures.get('calls_mean_mos_3-3.6'), figures.get('calls_answered_within_s_20-30'), figures.get('calls_answered_within_s_60-')]).toEqual(['1', '1', '0']);
  });

  it('excusing needs sla.admin (403 for reception, 401 anonymous); an admin excuse is audited and leaves the downtime', async () => {
    const excuse = { site: 'hq', start: at('2026-11-04T10:00:00Z'), end: at('2026-11-04T10:05:00Z'), reason: 'customer-equipment', note: 'Switch im Empfang / lobby switch' };
    expect((await reception.post('/api/sla/excuses', excuse)).status).toBe(403);
    expect((await new ApiClient(gw.base).post('/api/sla/excuses', excuse)).status).toBe(401);
    expect((await admin.post('/api/sla/excuses', { ...excuse, reason: 'bad luck' })).status).toBe(400);
    expect((await admin.post('/api/sla/excuses', { ...excuse, end: excuse.start })).status).toBe(400);
    expect((await admin.post('/api/sla/excuses', { ...excuse, site: 'nowhere' })).status).toBe(404);

    const created = await admin.post('/api/sla/excuses', excuse);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: 'excused', siteId: 'hq', reason: 'customer-equipment', start: excuse.start, end: excuse.end });
    const audit = await gw.gateway.services.audit.list({ action: 'sla.excuse' });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_type: 'user', target_type: 'sla-period', target_id: created.body.id, outcome: 'ok', site_id: 'hq' });
    expect(JSON.parse(audit[0]!.details!)).toEqual({ start: excuse.start, end: excuse.end, reason: 'customer-equipment' });

    const r = (await reception.get('/api/sla/report?site=hq&month=2026-11')).body;
    expect(r).toMatchObject({ outageMinutes: 24, excusedMinutes: 3, excused: [{ reason: 'customer-equipment', minutes: 3 }], downtimeMinutes: 21 });
    expect(r.excusedPeriods).toEqual([{ id: created.body.id, start: excuse.start, end: excuse.end, reason: 'customer-equipment', note: excuse.note, createdBy: expect.any(String) }]);
    // The other site's report is not touched by hq's excuse.
    const branch = (await admin.get('/api/sla/report?site=branch&month=2026-11')).body;
    expect(branch).toMatchObject({ downtimeMinutes: 24, excusedMinutes: 0, calls: { total: 1, belowMosThreshold: 1 } });
    const csv = csvOf((await reception.get('/api/sla/report?site=hq&month=2026-11&format=csv')).body);
    expect(csv.get('excused_minutes_customer-equipment')).toBe('3');
  });

  it('the printable page shows the same figures in German and English, without script or inline style', async () => {
    // After the excuse above: 21 downtime minutes, on 5 November only.
    const percent = ((NOVEMBER_MINUTES - 21) / NOVEMBER_MINUTES) * 100;
    const de = await reception.get('/sla/report?site=hq&month=2026-11&lang=de');
    expect(de.status).toBe(200);
    expect(de.headers.get('content-type')).toMatch(/^text\/html/);
    expect(de.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(de.headers.get('content-security-policy')).not.toMatch(/unsafe-inline/);
    for (const page of [de.body as string]) {
      expect(page).not.toMatch(/<script|\sstyle=|\son[a-z]+=/i);
      expect(page).toContain('<link rel="stylesheet" href="/assets/sla-report.css">');
    }
    expect(de.body).toContain('<html lang="de">');
    expect(de.body).toContain('Verfügbarkeit');
    expect(de.body).toContain(`${new Intl.NumberFormat('de', { minimumFractionDigits: 3, maximumFractionDigits: 3 }).format(percent)} %`);
    expect(de.body).toContain('Geräte oder Netz des Kunden');
    const chart = (page: string, name: string) => page.slice(page.indexOf(`<svg class="${name}"`), page.indexOf('</svg>', page.indexOf(`<svg class="${name}"`)));
    expect(chart(de.body, 'days').match(/<rect class="bar"/g)).toHaveLength(1);
    expect(chart(de.body, 'mos').match(/<title>[^<]*<\/title>/g)).toEqual(['<title>3,0–3,6: 1</title>', '<title>4,0–4,5: 1</title>']);
    expect(chart(de.body, 'answer').match(/<rect class="bar"/g)).toHaveLength(3);
    expect(de.body).toContain('Anrufe nach mittlerem MOS');
    expect(de.body).toContain('<title>2026-11-05: 21</title>');
    const en = await reception.get('/sla/report?site=hq&month=2026-11&lang=en');
    expect(en.body).toContain('<html lang="en">');
    expect(en.body).toContain(`Availability</th><td class="n">${percent.toFixed(3)} %`);
    expect(en.body).toContain("customer's equipment or network".replace("'", '&#39;'));
    const css = await reception.get('/assets/sla-report.css');
    expect([css.status, css.headers.get('content-type')]).toEqual([200, 'text/css; charset=utf-8']);
    expect((await reception.get('/sla/report?site=branch&month=2026-11')).status).toBe(403);
  });

  it('reading another site or a malformed month is refused by name', async () => {
    expect((await reception.get('/api/sla/report?site=branch&month=2026-11')).status).toBe(403);
    expect((await new ApiClient(gw.base).get('/api/sla/report?site=hq&month=2026-11')).status).toBe(401);
    expect((await admin.get('/api/sla/report?site=hq&month=2026-13')).status).toBe(400);
    expect((await admin.get('/api/sla/report?site=nowhere&month=2026-11')).status).toBe(404);
  });
});
