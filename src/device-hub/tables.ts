// Row types of the device hub's own tables (migration 010-device-hub); used
// through `store.db.withTables<DeviceHubTables>()`.
import type { Generated, Transaction } from 'kysely';
import type { Tables, Tx } from '../store/index.ts';

export type DeviceKind = 'card-reader' | 'door' | 'panel' | 'sensor' | 'display';

export interface DeviceTable {
  /** The MQTT client id: lower-case slug chosen by the admin. */
  id: string;
  credential_id: string;
  kind: DeviceKind;
  site_id: string;
  door_id: string | null;
  /** Terminal this device sits next to (motion wakes it, denials show on it). */
  terminal_id: string | null;
  label: string;
  created_at: number;
  last_seen_at: number | null;
}

export type CommandState = 'pending' | 'acknowledged' | 'refused' | 'expired';

export interface DoorCommandTable {
  id: string;
  door_id: string;
  site_id: string;
  action: 'unlock' | 'lock';
  seconds: number;
  issued_by_type: 'user' | 'credential' | 'system' | 'participant';
  issued_by_id: string | null;
  correlation_id: string | null;
  created_at: number;
  expires_at: number;
  state: CommandState;
  sends: number;
  settled_at: number | null;
}

export interface DoorStateTable {
  door_id: string;
  site_id: string;
  state: string;
  device_id: string;
  at: number;
  /** 1 locked, 0 unlocked, null: the controller does not say. */
  locked: number | null;
}

export interface RuleTable {
  id: string;
  site_id: string;
  version: number;
  source: 'store' | 'file';
  file: string | null;
  enabled: number;
  /** The rule definition, JSON (validated by rules/rule-schema.ts). */
  definition: string;
  updated_at: number;
}

export interface RuleVersionTable {
  seq: Generated<number>;
  rule_id: string;
  version: number;
  definition: string | null;
  actor_type: string;
  actor_id: string | null;
  at: number;
}

/** Timers that must survive a restart: delayed rule firings, cooldowns, relock checks. */
export interface HubTimerTable {
  id: string;
  kind: 'rule-delay' | 'cooldown' | 'relock-check';
  key: string;
  due_at: number;
  data: string;
}

export interface CardTable {
  /** sha-256 of site + card number: card numbers are personal data. */
  card_hash: string;
  site_id: string;
  holder_ref: string;
  kind: 'employee' | 'visitor';
  valid_from: number | null;
  valid_until: number | null;
  /** JSON list of door ids; null = every door of the site. */
  doors: string | null;
  created_at: number;
}

// A type alias, not an interface: withTables<T>() wants an index signature.
export type DeviceHubTables = {
  devices: DeviceTable;
  door_commands: DoorCommandTable;
  door_states: DoorStateTable;
  rules: RuleTable;
  rule_versions: RuleVersionTable;
  hub_timers: HubTimerTable;
  cards: CardTable;
};

/** The store seen with the device hub's tables added to the foundation's. */
export type HubTables = Tables & DeviceHubTables;

/**
 * A hub transaction as the audit log's `Tx`: the hub's tables only add to the
 * foundation's, but Kysely's builder types are invariant, hence the cast.
 */
export const storeTx = (tx: Transaction<HubTables>): Tx => tx as unknown as Tx;
