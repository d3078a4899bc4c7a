// The audio codecs of an admin's SIP account, as an ordered choice: every order the
// server takes (opus, PCMU, PCMA, each once, PCMU or PCMA among them: the rule of
// sip.codecs, src/sip-bridge/audio-codecs.ts), or the default sip.codecs (null).
import { useTexts } from '../lib/i18n.tsx';
import { T } from './texts.ts';

type Codec = 'opus' | 'pcmu' | 'pcma';
const CODECS: readonly Codec[] = ['opus', 'pcmu', 'pcma'];
const SHOWN: Record<Codec, string> = { opus: 'opus', pcmu: 'PCMU', pcma: 'PCMA' };

/** Every list of distinct codecs with G.711 in it, the ones starting with opus first (what the choice offers). */
function orders(): Codec[][] {
  const out: Codec[][] = [];
  const grow = (list: Codec[]) => {
    if (list.some((c) => c !== 'opus')) out.push(list);
    for (const c of CODECS) if (!list.includes(c)) grow([...list, c]);
  };
  grow([]);
  return out.sort((a, b) => Number(b[0] === 'opus') - Number(a[0] === 'opus') || b.length - a.length);
}
const ORDERS = orders();

/** The form's choice as the route takes it: null = sip.codecs. */
export function codecsOf(f: HTMLFormElement): Codec[] | null {
  const value = String(new FormData(f).get('codecs') ?? 'default');
  return value === 'default' ? null : value.split(',') as Codec[];
}

export function CodecField(props: { codecs: readonly string[] | null | undefined }) {
  const t = useTexts(T);
  // The stored choice marks its option (a select's defaultValue is no DOM property: Preact's would not select it).
  const stored = props.codecs ? props.codecs.join(',') : 'default';
  return (
    <label data-sip-codecs>
      {t('sipCodecs')}{' '}
      <select name="codecs" aria-label={t('sipCodecs')} aria-describedby="sip-codecs-help">
        <option value="default" selected={stored === 'default'}>{t('sipCodecsDefault')}</option>
        {/* Codec names are no words of either language. */}
        {ORDERS.map((o) => <option key={o.join(',')} value={o.join(',')} selected={stored === o.join(',')} lang="zxx">{o.map((c) => SHOWN[c]).join(', ')}</option>)}
      </select>
      {' '}<small id="sip-codecs-help">{t('sipCodecsHelp')}</small>
    </label>
  );
}
