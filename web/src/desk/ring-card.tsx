// An incoming call as the receptionist needs it at a glance: where the visitor
// stands (terminal, site), whom they chose (the phone-book entry), why this desk
// rings (the person, the department, the reception after the host did not
// answer, a colleague's transfer), the visitor's video where the site allows a
// preview (the media prepared while ringing), the entry's photo where its site
// shows photos (beside the name, so decorative: alt=""), a telephone's leg encrypted
// or not (as its offer said, before the answer), and Answer with its shortcut.
import type { RingMessage } from '../../../src/signaling/contract.ts';
import { useTexts } from '../lib/i18n.tsx';
import { Video } from '../lib/ui.tsx';
import { LegMedia } from './leg-media.tsx';
import { T } from './texts.ts';

const VIA = {
  person: 'viaPerson', group: 'viaGroup', reception: 'viaReception', transfer: 'viaTransfer', add: 'viaAdd', consult: 'viaConsult',
} as const;

/** The entry as the visitor chose it: its name, with the department when it has one. */
export const entryLabel = (entry: { name: string; department: string | null }): string =>
  entry.department ? `${entry.name} (${entry.department})` : entry.name;

/** The chosen entry's photo (the desk's URL from the ring), or nothing where there is none to show. */
export const EntryPhoto = (props: { src: string | undefined }) =>
  props.src ? <img class="desk-entry-photo" src={props.src} alt="" data-testid="entry-photo" /> : null;

export function RingCard(props: { ring: RingMessage; preview: MediaStream | null; first: boolean; answer: () => void; decline: () => void }) {
  const t = useTexts(T);
  const { ring } = props;
  const where = t('incoming', { terminal: ring.terminal.name, site: ring.terminal.siteName });
  const routed = ring.via === 'person' || ring.via === 'group' || ring.via === 'reception';
  // The reception after the entry's own routes: the host (or department) did not answer.
  const via = ring.via === 'reception' && ring.routeIndex > 0 ? t('viaReceptionAfter', { entry: ring.entry.name }) : t(VIA[ring.via as keyof typeof VIA] ?? 'viaPerson');
  return (
    <section class="ring card" role="alertdialog" aria-label={where} data-call={ring.callId} data-via={ring.via}>
      <div class="ring-preview">
        {ring.preview && props.preview
          ? <Video class="preview" stream={props.preview} muted label={t('previewLabel')} />
          : <p class="no-preview">{t('noPreview')}</p>}
      </div>
      <div class="ring-info">
        <h2>{where}{ring.terminal.media && <LegMedia media={ring.terminal.media} />}</h2>
        <p class="ring-for" data-testid="ring-entry"><EntryPhoto src={ring.photo} />{t('forEntry', { entry: entryLabel(ring.entry) })}</p>
        <p class="ring-via" data-testid="ring-via">{via}</p>
        {routed && ring.routeCount > 1 && <p class="ring-step">{t('ringStep', { n: ring.routeIndex + 1, of: ring.routeCount })}</p>}
        <div class="controls">
          <button class="big primary" data-action="answer" onClick={props.answer}>
            {t('answer')}{props.first && <kbd aria-hidden="true">{t('keyAnswer')}</kbd>}
          </button>
          <button class="big" data-action="decline" onClick={props.decline}>
            {t('decline')}{props.first && <kbd aria-hidden="true">{t('keyHangup')}</kbd>}
          </button>
        </div>
      </div>
    </section>
  );
}
