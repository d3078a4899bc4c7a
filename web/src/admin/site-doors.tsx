// A site select with the door select that belongs to it: choosing another site
// loads that site's doors (an edit form moving a terminal or device).
import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api.ts';
import { useTexts } from '../lib/i18n.tsx';
import { T } from './texts.ts';

export interface Site { id: string; name: string }
export interface Door { id: string; name: string }

export function SiteAndDoor(props: { sites: Site[]; siteId: string; doorId: string | null; doorRequired?: boolean; onSite?: (siteId: string) => void }) {
  const t = useTexts(T);
  const [siteId, setSiteId] = useState(props.siteId);
  const [doors, setDoors] = useState<Door[] | null>(null);
  useEffect(() => {
    let current = true;
    void api<Door[]>('GET', `/api/sites/${encodeURIComponent(siteId)}/doors`).then((d) => { if (current) setDoors(d); }, () => { if (current) setDoors([]); });
    return () => { current = false; };
  }, [siteId]);
  return (
    <>
      <label>{t('site')} <select name="siteId" aria-label={t('site')} value={siteId} onChange={(e) => { const v = (e.target as HTMLSelectElement).value; setSiteId(v); props.onSite?.(v); }}>
        {props.sites.map((s) => <option key={s.id} value={s.id} data-user-text>{s.name}</option>)}
      </select></label>
      <label>{t('door')} <select name="doorId" aria-label={t('door')} key={`${siteId}-${doors === null ? 'loading' : 'loaded'}`} required={props.doorRequired}>
        {!props.doorRequired && <option value="">{t('none')}</option>}
        {(doors ?? []).map((d) => <option key={d.id} value={d.id} selected={siteId === props.siteId && d.id === props.doorId} data-user-text>{d.name}</option>)}
      </select></label>
    </>
  );
}
