// The monthly SLA report as a printable HTML page in German or English: the
// contract's figures, downtime per day, calls by mean MOS and answered calls by
// time to answer as SVG bar charts (no script, no inline
// style: the page fits the gateway's strict CSP with its stylesheet file).
import type { SlaReport } from './sla-report.ts';

export type ReportLanguage = 'de' | 'en';

const TEXTS = {
  de: {
    title: 'SLA-Bericht', site: 'Standort', month: 'Monat', timeZone: 'Zeitzone', generated: 'Erstellt',
    availability: 'Verfügbarkeit', total: 'Minuten des Monats (Vertrag)', downtime: 'Ausfallminuten',
    outage: 'Gemessene Ausfallminuten', window: 'davon im Wartungsfenster', planned: 'davon geplante Wartung', excused: 'davon entschuldigt',
    reasons: { 'customer-equipment': 'Geräte oder Netz des Kunden', 'security-patch': 'dringender Sicherheitspatch', attack: 'Angriff trotz üblicher Schutzmaßnahmen' },
    probes: 'Testanrufe (fehlgeschlagen)', calls: 'Anrufe', answered: 'angenommen', answerRate: 'Annahmequote',
    p50: 'Zeit bis zur Annahme, Median', p90: 'Zeit bis zur Annahme, 90. Perzentil', belowMos: 'Anrufe unter der MOS-Schwelle',
    perDay: 'Ausfallminuten pro Tag', mosChart: 'Anrufe nach mittlerem MOS', answerChart: 'Angenommene Anrufe nach Zeit bis zur Annahme (s)', outages: 'Ausfälle', none: 'keine', from: 'von', to: 'bis',
    sources: { probe: 'Testanruf', gap: 'Gateway lief nicht', kiosk: 'kein Terminal konnte anrufen' }, seconds: 's',
  },
  en: {
    title: 'SLA report', site: 'Site', month: 'Month', timeZone: 'Time zone', generated: 'Generated',
    availability: 'Availability', total: 'Minutes of the month (contract)', downtime: 'Downtime minutes',
    outage: 'Measured outage minutes', window: 'of which in the maintenance window', planned: 'of which planned maintenance', excused: 'of which excused',
    reasons: { 'customer-equipment': "customer's equipment or network", 'security-patch': 'urgent security patch', attack: 'attack despite the usual protections' },
    probes: 'Synthetic probes (failed)', calls: 'Calls', answered: 'answered', answerRate: 'Answer rate',
    p50: 'Time to answer, median', p90: 'Time to answer, 90th percentile', belowMos: 'Calls below the MOS threshold',
    perDay: 'Downtime minutes per day', mosChart: 'Calls by mean MOS', answerChart: 'Answered calls by time to answer (s)', outages: 'Outages', none: 'none', from: 'from', to: 'to',
    sources: { probe: 'synthetic probe', gap: 'gateway not running', kiosk: 'no terminal able to call' }, seconds: 's',
  },
} as const;

export const REPORT_CSS = `body { font-family: sans-serif; max-width: 50rem; margin: 2rem auto; padding: 0 1rem; color: #111 }
table { border-collapse: collapse; width: 100% }
th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #ccc }
td.n { text-align: right; font-variant-numeric: tabular-nums }
svg { width: 100%; height: auto }
svg rect.bar { fill: #b00020 }
svg rect.base { fill: #ddd }
svg text { font-size: 9px; fill: #333 }
@media print { body { margin: 0; max-width: none } a { color: inherit; text-decoration: none } }
`;

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A bar chart in SVG: one bar per entry, its value in a title, the scale's top at `min` or more. */
function barChart(bars: Array<{ label: string; value: number; title: string }>, opts: { width: number; min: number; chart: string }): string {
  const w = opts.width;
  const h = 100;
  const max = Math.max(opts.min, ...bars.map((b) => b.value));
  const drawn = bars.map((b, i) => {
    const bh = Math.round((b.value / max) * h);
    return `<rect class="base" x="${i * w}" y="${h}" width="${w - 2}" height="1"/>`
      + (bh ? `<rect class="bar" x="${i * w}" y="${h - bh}" width="${w - 2}" height="${bh}"><title>${escape(b.title)}: ${b.value}</title></rect>` : '')
      + `<text x="${i * w}" y="${h + 10}">${escape(b.label)}</text>`;
  }).join('');
  return `<svg class="${opts.chart}" viewBox="0 0 ${bars.length * w} ${h + 12}" role="img">${drawn}<text x="0" y="8">${max}</text></svg>`;
}

const dayChart = (days: SlaReport['days']) =>
  barChart(days.map((d) => ({ label: String(Number(d.date.slice(8))), value: d.downtimeMinutes, title: d.date })), { width: 12, min: 60, chart: 'days' });
const bucketChart = (buckets: SlaReport['calls']['mosDistribution'], chart: string, fmt: (n: number) => string) =>
  barChart(buckets.map((b) => {
    const label = b.to === null ? `≥ ${fmt(b.from)}` : `${fmt(b.from)}–${fmt(b.to)}`;
    return { label, value: b.calls, title: label };
  }), { width: 40, min: 1, chart });

/** The whole page for one site and month. */
export function reportPage(r: SlaReport, lang: ReportLanguage): string {
  const t = TEXTS[lang];
  const num = (v: number, digits = 0) => new Intl.NumberFormat(lang, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(v);
  const opt = (v: number | null, f: (x: number) => string) => (v === null ? '–' : f(v));
  const when = (ms: number) => new Intl.DateTimeFormat(lang, { timeZone: r.timeZone, dateStyle: 'medium', timeStyle: 'short' }).format(ms);
  const row = (label: string, value: string) => `<tr><th>${escape(label)}</th><td class="n">${escape(value)}</td></tr>`;
  const rows = [
    row(t.availability, `${num(r.availabilityPercent, 3)} %`),
    row(t.total, num(r.totalMinutes)),
    row(t.outage, num(r.outageMinutes)),
    row(t.window, num(r.windowMinutes)),
    row(t.planned, num(r.plannedMinutes)),
    row(t.excused, num(r.excusedMinutes)),
    ...r.excused.map((e) => row(`– ${t.reasons[e.reason as keyof typeof t.reasons] ?? e.reason}`, num(e.minutes))),
    row(t.downtime, num(r.downtimeMinutes)),
    row(t.probes, `${num(r.probes.total)} (${num(r.probes.failed)})`),
    row(t.calls, `${num(r.calls.total)} (${num(r.calls.answered)} ${t.answered})`),
    row(t.answerRate, opt(r.calls.answerRatePercent, (v) => `${num(v, 1)} %`)),
    row(t.p50, opt(r.calls.timeToAnswerP50Ms, (v) => `${num(v / 1000, 1)} ${t.seconds}`)),
    row(t.p90, opt(r.calls.timeToAnswerP90Ms, (v) => `${num(v / 1000, 1)} ${t.seconds}`)),
    row(`${t.belowMos} (${num(r.calls.mosThreshold, 1)})`, `${num(r.calls.belowMosThreshold)} / ${num(r.calls.withQuality)}`),
  ].join('');
  const outages = r.outages.length
    ? `<ul>${r.outages.map((o) => `<li>${escape(t.sources[o.source])}: ${escape(t.from)} ${escape(when(o.start))} ${escape(t.to)} ${escape(when(o.end))}</li>`).join('')}</ul>`
    : `<p>${escape(t.none)}</p>`;
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><title>${escape(`${t.title} ${r.site.name} ${r.month}`)}</title>
<link rel="stylesheet" href="/assets/sla-report.css"></head><body>
<h1>${escape(t.title)}</h1>
<p>${escape(t.site)}: ${escape(r.site.name)} · ${escape(t.month)}: ${escape(r.month)} · ${escape(t.timeZone)}: ${escape(r.timeZone)} · ${escape(t.generated)}: ${escape(when(r.generatedAt))}</p>
<table>${rows}</table>
<h2>${escape(t.perDay)}</h2>
${dayChart(r.days)}
<h2>${escape(t.mosChart)}</h2>
${bucketChart(r.calls.mosDistribution, 'mos', (n) => num(n, 1))}
<h2>${escape(t.answerChart)}</h2>
${bucketChart(r.calls.answerTimeDistribution, 'answer', (n) => num(n))}
<h2>${escape(t.outages)}</h2>
${outages}
</body></html>
`;
}
