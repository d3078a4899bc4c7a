// Each site's kiosk start screen: the customer's name and logo, the welcome text
// and the camera privacy notice in German and English, and whether the kiosk may
// show employees' availability and the phone book's photos (personal data on a
// public screen: both off by default).
import { sql, type Generated } from 'kysely';
import type { Store } from '../store/index.ts';
import { NotFoundError, type Clock } from '../core/index.ts';
import type { AuditLog, Actor } from '../audit/index.ts';
import { checkLogo, type LogoType } from './logo-image.ts';

/** A text in both languages; '' in a language means the kiosk's own default text. */
export interface Bilingual { de: string; en: string }

export interface WelcomeSettings {
  /** The customer's name in the kiosk's header; '' shows none. */
  customerName: string;
  welcome: Bilingual;
  privacy: Bilingual;
  showAvailability: boolean;
  /** Whether the kiosks show the phone-book entries' photos on their cards (initials otherwise). */
  showPhotos: boolean;
  /** How loud the kiosks play their sound cues (ringing, door open, door failed), 0 to 100; 0: none. */
  cueVolume: number;
}

/** The default cue volume (a site that never set one). */
export const DEFAULT_CUE_VOLUME = 60;

export interface LogoInfo { type: LogoType; bytes: number; version: number }
export interface WelcomeScreen extends WelcomeSettings { siteId: string; logo: LogoInfo | null }
export interface Logo { type: LogoType; data: Buffer; version: number }

type WelcomeRow = {
  site_id: string;
  customer_name: string;
  welcome_de: string;
  welcome_en: string;
  privacy_de: string;
  privacy_en: string;
  show_availability: number;
  /** Has a default (0, off): a row written before photos existed. */
  show_photos: Generated<number>;
  /** Has a default (DEFAULT_CUE_VOLUME): a row written before the setting existed, or by the logo upload, needs none. */
  cue_volume: Generated<number>;
  logo: Buffer | null;
  logo_type: string | null;
  /** Counts uploads: the kiosk asks for the logo by version, and parallel uploads each get their own. */
  logo_version: number;
  updated_at: number;
};
export type WelcomeTables = { welcome_screens: WelcomeRow };

const EMPTY: WelcomeSettings = { customerName: '', welcome: { de: '', en: '' }, privacy: { de: '', en: '' }, showAvailability: false, showPhotos: false, cueVolume: DEFAULT_CUE_VOLUME };

export class WelcomeScreens {
  readonly #store: Store;
  readonly #audit: AuditLog;
  readonly #clock: Clock;
  readonly #maxLogoBytes: number;

  constructor(deps: { store: Store; audit: AuditLog; clock: Clock; maxLogoBytes: number }) {
    this.#store = deps.store;
    this.#audit = deps.audit;
    this.#clock = deps.clock;
    this.#maxLogoBytes = deps.maxLogoBytes;
  }

  get maxLogoBytes(): number { return this.#maxLogoBytes; }

  get #db() { return this.#store.db.withTables<WelcomeTables>(); }

  /** A site's start screen (the defaults until an admin sets it); not-found for an unknown site. */
  async get(siteId: string): Promise<WelcomeScreen> {
    await this.#requireSite(siteId);
    const r = await this.#db.selectFrom('welcome_screens')
      .select(['customer_name', 'welcome_de', 'welcome_en', 'privacy_de', 'privacy_en', 'show_availability', 'show_photos', 'cue_volume', 'logo_type', 'logo_version',
        sql<number | null>`length(logo)`.as('logo_bytes')])
      .where('site_id', '=', siteId).executeTakeFirst();
    if (!r) return { siteId, ...EMPTY, logo: null };
    return {
      siteId, customerName: r.customer_name, welcome: { de: r.welcome_de, en: r.welcome_en }, privacy: { de: r.privacy_de, en: r.privacy_en },
      showAvailability: r.show_availability === 1, showPhotos: r.show_photos === 1, cueVolume: r.cue_volume,
      logo: r.logo_type === null ? null : { type: r.logo_type as LogoType, bytes: Number(r.logo_bytes ?? 0), version: r.logo_version },
    };
  }

  /** Whether the site's kiosks may show employees' availability (false for an unknown site). */
  async showsAvailability(siteId: string): Promise<boolean> {
    const r = await this.#db.selectFrom('welcome_screens').select('show_availability').where('site_id', '=', siteId).executeTakeFirst();
    return r?.show_availability === 1;
  }

  /** Whether the site's kiosks may show the phone book's photos (false for an unknown site). */
  async showsPhotos(siteId: string): Promise<boolean> {
    const r = await this.#db.selectFrom('welcome_screens').select('show_photos').where('site_id', '=', siteId).executeTakeFirst();
    return r?.show_photos === 1;
  }

  /** Sets the texts, the availability setting, the photo setting and the cue volume (the last two kept when not given; audited); the logo stays as it is. */
  async set(actor: Actor, siteId: string, input: Omit<WelcomeSettings, 'cueVolume' | 'showPhotos'> & { cueVolume?: number; showPhotos?: boolean }): Promise<WelcomeScreen> {
    await this.#requireSite(siteId);
    const texts = {
      customer_name: input.customerName.trim(), welcome_de: input.welcome.de.trim(), welcome_en: input.welcome.en.trim(),
      privacy_de: input.privacy.de.trim(), privacy_en: input.privacy.en.trim(), show_availability: input.showAvailability ? 1 : 0,
      ...(input.cueVolume !== undefined ? { cue_volume: input.cueVolume } : {}),
      ...(input.showPhotos !== undefined ? { show_photos: input.showPhotos ? 1 : 0 } : {}),
      updated_at: this.#clock.now(),
    };
    await this.#store.transaction(async (tx) => {
      await tx.withTables<WelcomeTables>().insertInto('welcome_screens').values({ site_id: siteId, ...texts, logo: null, logo_type: null, logo_version: 0 })
        .onConflict((oc) => oc.column('site_id').doUpdateSet(texts)).execute();
      await this.#audit.append({
        actor, action: 'site.welcome', target: { type: 'site', id: siteId }, outcome: 'ok', siteId,
        details: {
          showAvailability: input.showAvailability, ...(input.cueVolume !== undefined ? { cueVolume: input.cueVolume } : {}),
          ...(input.showPhotos !== undefined ? { showPhotos: input.showPhotos } : {}),
        },
      }, tx);
    });
    return this.get(siteId);
  }

  /** Stores a checked logo (PNG, JPEG or WebP by content, at most web.logo_max_kib); texts stay as they are. */
  async setLogo(actor: Actor, siteId: string, data: Buffer): Promise<LogoInfo> {
    const type = checkLogo(data, this.#maxLogoBytes);
    await this.#requireSite(siteId);
    return this.#store.transaction(async (tx) => {
      const db = tx.withTables<WelcomeTables>();
      const now = this.#clock.now();
      await db.insertInto('welcome_screens').values({
        site_id: siteId, ...rowOf(EMPTY), logo: data, logo_type: type, logo_version: 1, updated_at: now,
      }).onConflict((oc) => oc.column('site_id').doUpdateSet({
        logo: data, logo_type: type, logo_version: sql<number>`welcome_screens.logo_version + 1`, updated_at: now,
      })).execute();
      const { logo_version: version } = await db.selectFrom('welcome_screens').select('logo_version').where('site_id', '=', siteId).executeTakeFirstOrThrow();
      await this.#audit.append({ actor, action: 'site.logo', target: { type: 'site', id: siteId }, outcome: 'ok', siteId, details: { type, bytes: data.length, version } }, tx);
      return { type, bytes: data.length, version };
    });
  }

  /** Removes the logo (audited); removing none is fine. */
  async removeLogo(actor: Actor, siteId: string): Promise<void> {
    await this.#requireSite(siteId);
    await this.#store.transaction(async (tx) => {
      await tx.withTables<WelcomeTables>().updateTable('welcome_screens').set({ logo: null, logo_type: null, updated_at: this.#clock.now() })
        .where('site_id', '=', siteId).execute();
      await this.#audit.append({ actor, action: 'site.logo.remove', target: { type: 'site', id: siteId }, outcome: 'ok', siteId }, tx);
    });
  }

  /** The site's logo; not-found when it has none. */
  async logo(siteId: string): Promise<Logo> {
    const r = await this.#db.selectFrom('welcome_screens').select(['logo', 'logo_type', 'logo_version']).where('site_id', '=', siteId).executeTakeFirst();
    if (!r?.logo || !r.logo_type) throw new NotFoundError(`site ${siteId} has no logo`);
    return { type: r.logo_type as LogoType, data: Buffer.from(r.logo), version: r.logo_version };
  }

  async #requireSite(siteId: string): Promise<void> {
    const site = await this.#store.db.selectFrom('sites').select('id').where('id', '=', siteId).executeTakeFirst();
    if (!site) throw new NotFoundError(`site ${siteId} not found`);
  }
}

const rowOf = (s: WelcomeSettings) => ({
  customer_name: s.customerName, welcome_de: s.welcome.de, welcome_en: s.welcome.en,
  privacy_de: s.privacy.de, privacy_en: s.privacy.en, show_availability: s.showAvailability ? 1 : 0,
});
