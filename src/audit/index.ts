// The append-only audit log.
export { AuditLog, systemActor, type Actor, type AuditEntry, type AuditRecord, type AuditQuery } from './audit-log.ts';
