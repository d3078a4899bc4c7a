// Row types of every table, shared by the components that own them.
import type { Generated, ColumnType } from 'kysely';

export interface SiteTable {
  id: string;
  name: string;
  time_zone: string;
  created_at: number;
  /** JSON OpeningPeriod[]; NULL: always open. */
  opening_hours: string | null;
  after_hours_entry_id: string | null;
}

export interface DoorTable {
  id: string;
  site_id: string;
  name: string;
  created_at: number;
}

export interface UserTable {
  id: string;
  login: string;
  display_name: string;
  email: string | null;
  /** scrypt hash; null until the account's password is set (first run). */
  password_hash: string | null;
  failed_logins: number;
  locked_until: number | null;
  disabled: number;
  created_at: number;
  updated_at: number;
  /** The OpenID provider's subject id of a single-sign-on user; null for local accounts. */
  sso_subject: string | null;
}

export interface PermissionTable {
  name: string;
  description: string;
}

export interface RoleTable {
  id: string;
  name: string;
  description: string;
  builtin: number;
}

export interface RolePermissionTable {
  role_id: string;
  permission: string;
}

export interface RoleAssignmentTable {
  id: Generated<number>;
  principal_type: 'user' | 'credential';
  principal_id: string;
  role_id: string;
  /** null: the role applies on every site. */
  site_id: string | null;
}

export interface SessionTable {
  id_hash: string;
  user_id: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

/** probe: the SLA's synthetic probe client (no site; its secret renewed at every start, held only in memory). */
export type CredentialKind = 'terminal' | 'device' | 'api-token' | 'probe';

export interface CredentialTable {
  id: string;
  kind: CredentialKind;
  site_id: string | null;
  door_id: string | null;
  label: string;
  /** Kind-specific attributes (e.g. a device's kind), JSON. */
  attributes: string;
  secret_hash: string;
  created_at: number;
  rotated_at: number | null;
  revoked_at: number | null;
}

export interface AuditTable {
  seq: Generated<number>;
  at: number;
  actor_type: 'user' | 'credential' | 'system' | 'participant';
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  outcome: 'ok' | 'denied' | 'failed';
  site_id: string | null;
  correlation_id: string | null;
  details: ColumnType<string | null, string | null | undefined, never>;
  /** sha256 of the previous entry's hash and this entry (src/store/audit-chain.ts). */
  hash: string;
}

/** Where a pruned audit log's chain starts (one row, migration 090). */
export interface AuditChainAnchorTable {
  id: number;
  seq: number;
  prev_hash: string;
}

/** Head hashes taken for sending off the box. */
export interface AuditCheckpointTable {
  seq: number;
  hash: string;
  at: number;
}

/** One key per person identifier in the audit log (migration 095): deleted when the person is erased. */
export interface SubjectKeyTable {
  kind: string;
  subject_id: string;
  /** The person an identifier belongs to (a card's holder), erased with them. */
  holder: string | null;
  /** The random key, sealed under the master key. */
  sealed_key: string;
  /** HMAC(key, kind, id) as the audit entries store it. */
  pseudonym: string;
  created_at: number;
}

/** The key of one day's admin addresses in audit entries (migration 095). */
export interface AuditAddressKeyTable {
  day: number;
  sealed_key: string;
}

export interface OneTimeLinkTable {
  token_hash: string;
  user_id: string;
  purpose: 'first-run' | 'password-reset';
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface Tables {
  sites: SiteTable;
  doors: DoorTable;
  users: UserTable;
  permissions: PermissionTable;
  roles: RoleTable;
  role_permissions: RolePermissionTable;
  role_assignments: RoleAssignmentTable;
  sessions: SessionTable;
  credentials: CredentialTable;
  audit_log: AuditTable;
  audit_chain_anchor: AuditChainAnchorTable;
  audit_checkpoints: AuditCheckpointTable;
  subject_keys: SubjectKeyTable;
  audit_address_keys: AuditAddressKeyTable;
  one_time_links: OneTimeLinkTable;
}
