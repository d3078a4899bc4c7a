// A phone-book entry's photo in the admin page: shown small, replaced by choosing
// a file (sent as it is: the gateway checks it by content and strips its
// metadata), removed; the outcome or the refusal next to it, in the page's language.
import { api, upload } from '../lib/api.ts';
import { useTexts } from '../lib/i18n.tsx';
import { FeedbackLine, useFeedback } from './feedback.tsx';
import { P } from './photo-texts.ts';

export type PhotoInfo = { type: string; bytes: number; width: number; height: number; version: number };
/** What GET /api/sites/:siteId/phonebook/photos answers. */
export type SitePhotos = { maxKib: number; photos: Record<string, PhotoInfo> };

export function EntryPhoto(props: { entry: { id: string; name: string }; info: PhotoInfo | undefined; maxKib: number; changed: () => Promise<void> }) {
  const p = useTexts(P);
  const feedback = useFeedback();
  const { entry, info } = props;
  const path = `/api/phonebook/${encodeURIComponent(entry.id)}/photo`;
  const choose = (e: Event) => {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    void feedback.run(async () => {
      try { await upload('PUT', path, file); } finally { input.value = ''; }
      await props.changed();
    }, () => p('photoSaved', { name: entry.name }));
  };
  const remove = () => void feedback.run(async () => { await api('DELETE', path); await props.changed(); }, () => p('photoRemoved', { name: entry.name }));
  return (
    <div class="entry-photo" data-photo={info ? String(info.version) : undefined}>
      {info ? <img src={`${path}?v=${info.version}`} alt={p('photoOf', { name: entry.name })} width={48} height={48} /> : <span class="no-photo">{p('noPhoto')}</span>}
      <input type="file" accept="image/png,image/jpeg,image/webp" aria-label={p('photoFile', { name: entry.name, kib: props.maxKib })} onChange={choose} />
      {info && <button type="button" aria-label={p('removePhotoLabel', { name: entry.name })} onClick={remove}>{p('removePhoto')}</button>}
      <FeedbackLine of={feedback} />
    </div>
  );
}
