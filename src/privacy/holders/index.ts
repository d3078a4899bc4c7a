// Every holder of personal data that exists, in one list: the gateway registers
// it with the Privacy service, and the inventory in docs/privacy.md is generated from it.
import type { Store } from '../../store/index.ts';
import type { AuditLog } from '../../audit/index.ts';
import type { EntryPhotos, PhoneBook } from '../../phonebook/index.ts';
import type { PersonalDataHolder } from '../contract.ts';
import type { PrivacySettings } from '../settings.ts';
import { AccountsHolder } from './accounts-holder.ts';
import { PhoneBookHolder } from './phonebook-holder.ts';
import { PhotosHolder } from './photos-holder.ts';
import { CallRecordsHolder } from './call-records-holder.ts';
import { DeviceHubHolder, type HubPrivacyPorts } from './device-hub-holder.ts';
import { AuditHolder } from './audit-holder.ts';
import { SlaPeriodsHolder } from './sla-periods-holder.ts';

export interface HolderDeps {
  store: Store;
  audit: AuditLog;
  phonebook: PhoneBook;
  /** The entries' photos (erased before the entries, so the erasure counts them). */
  photos: EntryPhotos;
  hub: HubPrivacyPorts;
  settings: PrivacySettings;
  /** sla.retention_days: SLA periods (and their authors) go with the SLA data. */
  slaRetentionDays: number;
  /** Told after an erasure deleted a user's sessions, so open desk sockets end at once (Accounts.sessionsEnded). */
  sessionsEnded?: (userId: string) => void;
}

/** Erasure runs in this order: the account first, so refusing one (your own) changes nothing else. */
export const createHolders = (d: HolderDeps): PersonalDataHolder[] => [
  new AccountsHolder({ store: d.store, audit: d.audit, sessionRetentionDays: d.settings.retentionDays.sessions, sessionsEnded: d.sessionsEnded }),
  new PhotosHolder({ photos: d.photos, phonebook: d.phonebook }),
  new PhoneBookHolder({ store: d.store, phonebook: d.phonebook }),
  new CallRecordsHolder({ store: d.store, audit: d.audit, retentionDays: d.settings.retentionDays.callRecords }),
  new DeviceHubHolder({ store: d.store, hub: d.hub }),
  new SlaPeriodsHolder({ store: d.store, retentionDays: d.slaRetentionDays }),
  new AuditHolder({ store: d.store, audit: d.audit, retentionDays: d.settings.retentionDays.audit, addressRetentionDays: d.settings.retentionDays.auditAddresses }),
];
