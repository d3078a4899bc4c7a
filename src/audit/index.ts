// The append-only audit log.
export { verifyChain, formatChainReport, readOffBoxCheckpoints, type ChainReport, type OffBoxCheckpoint } from './verify.ts';
export { AuditLog, systemActor, type AuditLogEvents, type Actor, type AuditEntry, type AuditRecord, type ShownAuditRecord, type AuditQuery } from './audit-log.ts';
export { AuditCheckpoints, type CheckpointSettings, type CheckpointFailure, type AuditCheckpointsEvents } from './checkpoints.ts';
export { webhookTarget, syslogTarget, syslogMessage, parseSyslogAddress, checkpointBody, type Checkpoint, type CheckpointTarget } from './checkpoint-targets.ts';
export { checkpointSettings, checkpointTargets, readWindowMs } from './settings.ts';
export { ReadAudit, type ReadSubject } from './read-audit.ts';
export { SubjectKeys, PSEUDONYM_PREFIX, SUBJECT_KEY_KINDS, isPseudonym, pseudonymOf, type SubjectKeyKind, type SubjectRef, type KeySealer } from './subject-keys.ts';
export { AddressKeys, ADDRESS_PREFIX, isSealedAddress } from './address-keys.ts';
export { AuditPseudonyms, PERSONAL_DETAILS, type RevealedFields } from './pseudonyms.ts';
