// Personal data: the privacy contract, the service that runs it and the holders of what exists.
export { SUBJECT_KINDS, isSubjectKind, DAY_MS, type Subject, type SubjectKind, type DataCategory, type Counts, type PersonalDataHolder } from './contract.ts';
export { Privacy, UnknownSubjectKindError, type PrivacyDeps, type SubjectExport, type PruneResult } from './privacy.ts';
export { AccountsHolder, CannotEraseSelfError } from './holders/accounts-holder.ts';
export { PhoneBookHolder } from './holders/phonebook-holder.ts';
export { PhotosHolder } from './holders/photos-holder.ts';
export { CallRecordsHolder, ERASED } from './holders/call-records-holder.ts';
export { DeviceHubHolder, type HubPrivacyPorts } from './holders/device-hub-holder.ts';
export { AuditHolder } from './holders/audit-holder.ts';
export { SlaPeriodsHolder } from './holders/sla-periods-holder.ts';
export { privacySettings, type PrivacySettings } from './settings.ts';
export { createHolders, type HolderDeps } from './holders/index.ts';
