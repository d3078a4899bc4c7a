// The small signal-quality indicator of a call (terminal and desk): every quality
// interval the page sends its compact receive statistics (quality.report) and shows
// the level the gateway answers for its leg (from the leg's MOS). German and English.
import { useEffect, useState } from 'preact/hooks';
import type { Socket } from 'socket.io-client';
import { useTexts } from './i18n.tsx';
import type { CallMediaClient } from './call-media.ts';

const T = {
  good: { de: 'Verbindung gut', en: 'Connection good' },
  fair: { de: 'Verbindung mäßig', en: 'Connection fair' },
  poor: { de: 'Verbindung schlecht', en: 'Connection poor' },
  measuring: { de: 'Verbindungsqualität wird gemessen …', en: 'Measuring connection quality …' },
  mos: { de: 'Sprachqualität: MOS {mos} von 4,5', en: 'Speech quality: MOS {mos} of 4.5' },
};

type Level = 'good' | 'fair' | 'poor';
type Answer = { ok: true; mos: number | null; level: Level | null; intervalMs: number } | { ok: false };

/** The first report goes out soon after the call's media exists; then at the gateway's interval. */
const FIRST_REPORT_MS = 1000;

export function SignalQuality(props: { socket: Socket; callId: string; media: () => CallMediaClient | null }) {
  const t = useTexts(T);
  const [shown, setShown] = useState<{ level: Level | null; mos: number | null }>({ level: null, mos: null });
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const report = async (): Promise<number> => {
      const media = props.media();
      if (!media || media.callId !== props.callId) return FIRST_REPORT_MS;
      const stats = await media.stats();
      const res = await props.socket.timeout(5000).emitWithAck('quality.report', { callId: props.callId, ...stats }) as Answer;
      if (!res.ok) return FIRST_REPORT_MS * 5;
      if (!stopped) setShown({ level: res.level, mos: res.mos });
      return res.intervalMs;
    };
    const loop = (ms: number) => {
      timer = setTimeout(() => void report().catch(() => FIRST_REPORT_MS * 5).then((next) => { if (!stopped) loop(next); }), ms);
    };
    loop(FIRST_REPORT_MS);
    return () => { stopped = true; clearTimeout(timer); };
  }, [props.socket, props.callId]);

  const label = shown.level ? t(shown.level) : t('measuring');
  const title = shown.mos === null ? label : `${label} – ${t('mos', { mos: shown.mos.toFixed(1) })}`;
  const bars = shown.level === 'good' ? 3 : shown.level === 'fair' ? 2 : shown.level === 'poor' ? 1 : 0;
  return (
    <span class="signal" role="status" data-level={shown.level ?? 'unknown'} aria-label={label} title={title}>
      {[1, 2, 3].map((i) => <span key={i} class={i <= bars ? 'bar on' : 'bar'} aria-hidden="true" />)}
      <span class="signal-text">{label}</span>
    </span>
  );
}
