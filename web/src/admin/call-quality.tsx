// The admin dashboard's speech quality of the running calls: per call its MOS now
// (the worst leg's), its level, each leg's MOS, loss, jitter and RTT, and a small
// timeline of the last intervals (an SVG line with the threshold). German and English.
import { useEffect } from 'preact/hooks';
import { api } from '../lib/api.ts';
import { lang, useTexts } from '../lib/i18n.tsx';
import { useLive } from './live.tsx';
import { useLatestList } from './latest-list.ts';

const T = {
  heading: { de: 'Sprachqualität der laufenden Anrufe', en: 'Speech quality of running calls' },
  none: { de: 'Keine laufenden Anrufe.', en: 'No running calls.' },
  call: { de: 'Anruf', en: 'Call' },
  mos: { de: 'MOS jetzt', en: 'MOS now' },
  timeline: { de: 'Verlauf', en: 'Timeline' },
  legs: { de: 'Teilnehmer', en: 'Participants' },
  timelineLabel: { de: 'MOS-Verlauf der letzten {n} Intervalle', en: 'MOS over the last {n} intervals' },
  good: { de: 'gut', en: 'good' },
  fair: { de: 'mäßig', en: 'fair' },
  poor: { de: 'schlecht', en: 'poor' },
  measuring: { de: 'wird gemessen', en: 'measuring' },
  terminal: { de: 'Terminal', en: 'Terminal' },
  desk: { de: 'Arbeitsplatz', en: 'Desk' },
  sip: { de: 'Telefon', en: 'Phone' },
  teams: { de: 'Teams', en: 'Teams' },
  leg: { de: '{who}: MOS {mos}, Verlust {loss} %, Jitter {jitter} ms, RTT {rtt} ms', en: '{who}: MOS {mos}, loss {loss} %, jitter {jitter} ms, RTT {rtt} ms' },
};

type Level = 'good' | 'fair' | 'poor' | null;
type Leg = { participantId: string; kind: keyof typeof T; mos: number | null; level: Level; lossPercent: number; jitterMs: number; rttMs: number | null };
type LiveCall = { callId: string; step: string; mos: number | null; level: Level; legs: Leg[]; timeline: Array<{ interval: number; mos: number | null }> };

/** MOS 1–4.5 on a 120×30 chart; the threshold as a dashed line. */
function Timeline(props: { points: LiveCall['timeline']; label: string; threshold: number }) {
  const w = 120;
  const h = 30;
  const y = (mos: number) => h - ((mos - 1) / 3.5) * h;
  const step = props.points.length > 1 ? w / (props.points.length - 1) : 0;
  const line = props.points.flatMap((p, i) => (p.mos === null ? [] : [`${(i * step).toFixed(1)},${y(p.mos).toFixed(1)}`])).join(' ');
  return (
    <svg class="mos-timeline" viewBox={`0 0 ${w} ${h}`} width={w} height={h} role="img" aria-label={props.label} data-points={props.points.length}>
      <line x1="0" x2={w} y1={y(props.threshold)} y2={y(props.threshold)} stroke="#c62828" stroke-dasharray="3 2" stroke-width="0.8" />
      {line && <polyline points={line} fill="none" stroke="#1f2937" stroke-width="1.5" />}
    </svg>
  );
}

export function CallQualitySection(props: { site: string }) {
  const t = useTexts(T);
  // Loaded on a site's choice and at every quality change of a running call (several at once): the answer asked for last wins.
  const [quality, loadQuality] = useLatestList<{ mosThreshold: number; calls: LiveCall[] } | null>(null);
  const load = () => loadQuality(api<{ mosThreshold: number; calls: LiveCall[] }>('GET', `/api/sites/${encodeURIComponent(props.site)}/calls/quality`)
    .catch(() => null));
  const calls = quality?.calls ?? null;
  const threshold = quality?.mosThreshold ?? 3.6;
  useEffect(() => { void load(); }, [props.site]);
  // Refetched when a call or a leg's quality changes (admin.changed quality), not polled.
  useLive('quality', props.site, load);
  // Without report.read on the site the section is left out.
  if (calls === null) return null;
  const num = (n: number, digits: number) => n.toLocaleString(lang(), { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const level = (l: Level) => (l ? t(l) : t('measuring'));
  return (
    <section class="card call-quality"><h2>{t('heading')}</h2>
      {calls.length === 0 ? <p>{t('none')}</p> : (
        <table><thead><tr><th>{t('call')}</th><th>{t('mos')}</th><th>{t('timeline')}</th><th>{t('legs')}</th></tr></thead>
          <tbody>{calls.map((c) => (
            <tr key={c.callId} data-call={c.callId} data-level={c.level ?? 'unknown'}>
              <td><code data-user-text>{c.callId.slice(0, 8)}</code></td>
              <td class="mos">{c.mos === null ? '–' : num(c.mos, 2)} ({level(c.level)})</td>
              <td><Timeline points={c.timeline} threshold={threshold} label={t('timelineLabel', { n: c.timeline.length })} /></td>
              <td><ul>{c.legs.map((l) => (
                <li key={l.participantId} data-level={l.level ?? 'unknown'}>{t('leg', {
                  who: T[l.kind] ? t(l.kind) : l.kind, mos: l.mos === null ? '–' : num(l.mos, 2), loss: num(l.lossPercent, 1),
                  jitter: num(l.jitterMs, 0), rtt: l.rttMs === null ? '–' : num(l.rttMs, 0),
                })}</li>
              ))}</ul></td>
            </tr>
          ))}</tbody></table>
      )}
    </section>
  );
}
