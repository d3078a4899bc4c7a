// Photos of phone-book entries, for the kiosk's directory cards: uploaded by an
// admin, checked by their content (PNG, JPEG or WebP by magic number, size in
// pixels read from the headers, the whole file there; SVG refused), at most
// web.photo_max_kib, stored without their metadata (EXIF — a JPEG keeps its
// Orientation alone, so a phone's portrait shot stays upright — XMP, comments,
// thumbnails). A photo is personal data: it goes with its entry (cascade), the
// privacy holder exports and erases it, and a site's kiosks get it only where the
// start screen allows photos (src/sites/welcome-screens.ts).
import { sql } from 'kysely';
import type { Store } from '../store/index.ts';
import type { AuditLog, Actor } from '../audit/index.ts';
import { InvalidError, NotFoundError, readImage, withoutMetadata, type Clock, type ImageType } from '../core/index.ts';
import type { PhoneBook } from './phonebook.ts';
import type { PhoneBookTables } from './tables.ts';

/** The largest width and height accepted, in pixels: a directory card shows a few hundred; more only costs the kiosk memory. */
export const PHOTO_MAX_PIXELS = 4096;

export interface PhotoInfo { type: ImageType; bytes: number; width: number; height: number; version: number }
export interface Photo { type: ImageType; data: Buffer; version: number }

type PhotoRow = { entry_id: string; photo: Buffer; type: string; width: number; height: number; version: number; updated_at: number };
export type PhotoTables = PhoneBookTables & { phonebook_photos: PhotoRow };

/** The refusal of a photo over the limit (also thrown while the upload still streams in). */
export function photoTooLarge(maxBytes: number): InvalidError {
  const kib = Math.floor(maxBytes / 1024);
  return new InvalidError(`the photo is larger than ${kib} KiB (web.photo_max_kib)`, { reason: 'photo.too-large', params: { kib } });
}

/** The checked image without metadata, or a named refusal (photo.empty, photo.too-large, photo.svg, photo.type, photo.truncated, photo.corrupt, photo.dimensions). */
export function checkPhoto(data: Buffer, maxBytes: number): { type: ImageType; width: number; height: number; data: Buffer } {
  if (data.length === 0) throw new InvalidError('the photo is empty', { reason: 'photo.empty' });
  if (data.length > maxBytes) throw photoTooLarge(maxBytes);
  const image = readImage(data);
  if (!image.ok) {
    throw {
      svg: () => new InvalidError('SVG photos are refused (they can carry scripts); upload PNG, JPEG or WebP', { reason: 'photo.svg' }),
      type: () => new InvalidError('the photo must be a PNG, JPEG or WebP image (checked by its content)', { reason: 'photo.type' }),
      truncated: () => new InvalidError('the photo is cut off (the file ends before the image does)', { reason: 'photo.truncated' }),
      corrupt: () => new InvalidError('the photo is not a readable PNG, JPEG or WebP image', { reason: 'photo.corrupt' }),
    }[image.problem]();
  }
  if (image.width > PHOTO_MAX_PIXELS || image.height > PHOTO_MAX_PIXELS) {
    throw new InvalidError(`the photo is ${image.width}×${image.height} pixels; at most ${PHOTO_MAX_PIXELS} each way`,
      { reason: 'photo.dimensions', params: { width: image.width, height: image.height, max: PHOTO_MAX_PIXELS } });
  }
  return { type: image.type, width: image.width, height: image.height, data: withoutMetadata(data, image.type) };
}

export class EntryPhotos {
  readonly #store: Store;
  readonly #audit: AuditLog;
  readonly #clock: Clock;
  readonly #phonebook: Pick<PhoneBook, 'get'>;
  readonly #maxBytes: number;

  constructor(deps: { store: Store; audit: AuditLog; clock: Clock; phonebook: Pick<PhoneBook, 'get'>; maxBytes: number }) {
    this.#store = deps.store;
    this.#audit = deps.audit;
    this.#clock = deps.clock;
    this.#phonebook = deps.phonebook;
    this.#maxBytes = deps.maxBytes;
  }

  get maxBytes(): number { return this.#maxBytes; }

  get #db() { return this.#store.db.withTables<PhotoTables>(); }

  /** Stores a checked photo for the entry (replacing one it had; audited); each upload gets the next version. */
  async set(actor: Actor, entryId: string, upload: Buffer): Promise<PhotoInfo> {
    const photo = checkPhoto(upload, this.#maxBytes);
    const entry = this.#phonebook.get(entryId);
    return this.#store.transaction(async (tx) => {
      const db = tx.withTables<PhotoTables>();
      const values = { photo: photo.data, type: photo.type, width: photo.width, height: photo.height, updated_at: this.#clock.now() };
      await db.insertInto('phonebook_photos').values({ entry_id: entryId, ...values, version: 1 })
        .onConflict((oc) => oc.column('entry_id').doUpdateSet({ ...values, version: sql<number>`phonebook_photos.version + 1` })).execute();
      const { version } = await db.selectFrom('phonebook_photos').select('version').where('entry_id', '=', entryId).executeTakeFirstOrThrow();
      const info: PhotoInfo = { type: photo.type, bytes: photo.data.length, width: photo.width, height: photo.height, version };
      await this.#audit.append({
        actor, action: 'phonebook.photo', target: { type: 'phonebook-entry', id: entryId }, outcome: 'ok', siteId: entry.siteId,
        details: { type: info.type, bytes: info.bytes, width: info.width, height: info.height, version, uploadedBytes: upload.length },
      }, tx);
      return info;
    });
  }

  /** Removes the entry's photo (audited); removing none is fine. */
  async remove(actor: Actor, entryId: string): Promise<void> {
    const entry = this.#phonebook.get(entryId);
    await this.#store.transaction(async (tx) => {
      const gone = await tx.withTables<PhotoTables>().deleteFrom('phonebook_photos').where('entry_id', '=', entryId).executeTakeFirst();
      await this.#audit.append({
        actor, action: 'phonebook.photo.remove', target: { type: 'phonebook-entry', id: entryId }, outcome: 'ok', siteId: entry.siteId,
        details: { removed: Number(gone.numDeletedRows) },
      }, tx);
    });
  }

  /** The entry's photo; not-found when it has none. */
  async photo(entryId: string): Promise<Photo> {
    const r = await this.#db.selectFrom('phonebook_photos').select(['photo', 'type', 'version']).where('entry_id', '=', entryId).executeTakeFirst();
    if (!r) throw new NotFoundError(`phone-book entry ${entryId} has no photo`, { reason: 'photo.none' });
    return { type: r.type as ImageType, data: Buffer.from(r.photo), version: r.version };
  }

  /** What is known of the photos of a site's entries (no image bytes), by entry id. */
  async ofSite(siteId: string): Promise<Map<string, PhotoInfo>> {
    const rows = await this.#db.selectFrom('phonebook_photos as p').innerJoin('phonebook_entries as e', 'e.id', 'p.entry_id')
      .select(['p.entry_id', 'p.type', 'p.width', 'p.height', 'p.version', sql<number>`length(p.photo)`.as('bytes')])
      .where('e.site_id', '=', siteId).execute();
    return new Map(rows.map((r) => [r.entry_id, { type: r.type as ImageType, bytes: Number(r.bytes), width: r.width, height: r.height, version: r.version }]));
  }

  /** The photo's versions of these entries (those without a photo are missing), for the kiosk's search results. */
  async versions(entryIds: readonly string[]): Promise<Map<string, number>> {
    if (entryIds.length === 0) return new Map();
    const rows = await this.#db.selectFrom('phonebook_photos').select(['entry_id', 'version']).where('entry_id', 'in', [...entryIds]).execute();
    return new Map(rows.map((r) => [r.entry_id, r.version]));
  }
}
