// The admin page's open alerts (GET /api/alerts): each one's text in the page's
// language, its incident class in the contract's words, its site and since when —
// most severe first, then oldest, as the gateway sends them. Refetched when an
// alert is raised or cleared (admin.changed alerts), not polled. German and English.
import { useEffect } from 'preact/hooks';
import { api } from '../lib/api.ts';
import { lang, useTexts } from '../lib/i18n.tsx';
import { useLive } from './live.tsx';
import { useLatestList } from './latest-list.ts';

const T = {
  heading: { de: 'Offene Alarme', en: 'Open alerts' },
  none: { de: 'Keine offenen Alarme', en: 'No open alerts' },
  alert: { de: 'Alarm', en: 'Alert' },
  incidentClass: { de: 'Klasse', en: 'Class' },
  site: { de: 'Standort', en: 'Site' },
  since: { de: 'Seit', en: 'Since' },
  // The contract's incident classes (../shared/docs/PRODUCT.md, docs/quality.md "Alerts").
  class1: { de: 'Klasse 1 – nicht nutzbar', en: 'Class 1 – unusable' },
  class2: { de: 'Klasse 2 – erheblich beeinträchtigt', en: 'Class 2 – seriously impaired' },
  class3: { de: 'Klasse 3 – geringfügig', en: 'Class 3 – minor' },
  gateway: { de: 'ganzes Gateway', en: 'whole gateway' },
};

export type OpenAlert = {
  id: string; kind: string; incidentClass: 1 | 2 | 3; siteId: string | null; siteName: string | null;
  text: { de: string; en: string }; openedAt: number;
};

/**
 * The open alerts, or null while none were loaded or when they may not be read (403: no report.read on any
 * site). Null is the one check for both the section and its navigation link: each is left out then.
 * Loaded at the start and at every alert raised or cleared (several at once): the answer asked for last wins.
 */
export function useOpenAlerts(): OpenAlert[] | null {
  const [alerts, loadAlerts] = useLatestList<OpenAlert[] | null>(null);
  const load = () => loadAlerts(api<{ alerts: OpenAlert[] }>('GET', '/api/alerts').then((r) => r.alerts, () => null));
  useEffect(() => { void load(); }, []);
  useLive('alerts', undefined, load);
  return alerts;
}

/** The open alerts' section (useOpenAlerts): left out when they are null. */
export function AlertsSection({ alerts }: { alerts: OpenAlert[] | null }) {
  const t = useTexts(T);
  if (alerts === null) return null;
  const current = lang();
  return (
    <section class="card alerts" id="section-alerts"><h2>{t('heading')}</h2>
      {alerts.length === 0 ? <p>{t('none')}</p> : (
        <table><thead><tr><th>{t('incidentClass')}</th><th>{t('alert')}</th><th>{t('site')}</th><th>{t('since')}</th></tr></thead>
          <tbody>{alerts.map((a) => (
            <tr key={a.id} data-alert={a.id} data-class={a.incidentClass}>
              <td>{t(`class${a.incidentClass}`)}</td>
              {/* The gateway's own words, in the page's language (docs/quality.md). */}
              <td lang={current}>{a.text[current]}</td>
              {a.siteId === null ? <td>{t('gateway')}</td> : <td data-user-text>{a.siteName ?? a.siteId}</td>}
              <td><time dateTime={new Date(a.openedAt).toISOString()}>{new Date(a.openedAt).toLocaleString(current)}</time></td>
            </tr>
          ))}</tbody></table>
      )}
    </section>
  );
}
