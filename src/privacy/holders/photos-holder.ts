// Photos of phone-book entries (src/phonebook/photos.ts) as a holder of personal
// data: the picture of a person on the kiosk's directory cards. Exported as the
// image itself (base64, as stored: without metadata); erased with the entry, or
// for a user with the person entries that ring them. Changes go through
// EntryPhotos, which audits them.
import type { Actor } from '../../audit/index.ts';
import type { EntryPhotos, PhoneBook } from '../../phonebook/index.ts';
import type { Counts, DataCategory, PersonalDataHolder, Subject } from '../contract.ts';

export class PhotosHolder implements PersonalDataHolder {
  readonly name = 'phonebook-photos';
  readonly #photos: EntryPhotos;
  readonly #phonebook: Pick<PhoneBook, 'find' | 'ringing'>;

  constructor(deps: { photos: EntryPhotos; phonebook: Pick<PhoneBook, 'find' | 'ringing'> }) {
    this.#photos = deps.photos;
    this.#phonebook = deps.phonebook;
  }

  describe(): DataCategory[] {
    return [{
      category: 'phone-book-photos', where: 'phonebook_photos (photo)', fields: ['photo (the image, stored without metadata; a turned JPEG keeps its EXIF Orientation alone)', 'width', 'height', 'updated_at'],
      purpose: "Visitors recognise the person on the kiosk's directory cards; the desks of the entry's site see whom a visitor chose on the ring card and in the call (both only where the site's start screen allows photos)",
      retentionKey: 'none: kept while the entry is listed (an admin removes the photo or the entry, or erasure does)', retentionDays: null, subjects: ['user', 'phonebook-entry'],
    }];
  }

  /** The entries whose photo is about `subject`: the entry itself, or the person entries that ring the user (not a department's). */
  #entryIds(subject: Subject): string[] {
    if (subject.kind === 'phonebook-entry') return this.#phonebook.find(subject.id) ? [subject.id] : [];
    if (subject.kind !== 'user') return [];
    return this.#phonebook.ringing(subject.id).filter((e) => e.kind === 'person').map((e) => e.id);
  }

  async export(subject: Subject): Promise<Record<string, unknown>> {
    const photos = [];
    for (const entryId of (await this.#photos.versions(this.#entryIds(subject))).keys()) {
      const photo = await this.#photos.photo(entryId);
      photos.push({ entryId, type: photo.type, version: photo.version, image: `data:${photo.type};base64,${photo.data.toString('base64')}` });
    }
    return { photos };
  }

  async erase(subject: Subject, by: Actor): Promise<Counts> {
    const present = [...(await this.#photos.versions(this.#entryIds(subject))).keys()];
    for (const entryId of present) await this.#photos.remove(by, entryId);
    return { photos: present.length };
  }

  /** Photos have no retention period: they are kept while their entry is listed. */
  async prune(): Promise<Counts> {
    return {};
  }
}
