// Every column of every table, classified: personal (stored about a person, so a
// holder must describe, export, erase and prune it), or not (with why). A new
// column fails test/privacy/columns.test.ts until it is classified here.
export type ColumnClass =
  | { personal: true; holder: string }
  /** Personal, but no holder answers for it yet: a known gap, listed in docs/privacy.md. */
  | { personal: true; holder: null; gap: string }
  | { personal: false; why: string };

const P = (holder: string): ColumnClass => ({ personal: true, holder });
const GAP = (gap: string): ColumnClass => ({ personal: true, holder: null, gap });
const N = (why: string): ColumnClass => ({ personal: false, why });
const ID = N('technical id or reference to a non-person');
const TIME = N('time of a technical event, not linked to a person');
const FLAG = N('technical state or setting');
/** A time in the same row as a person's id: personal while the row names the person. */
const WHEN = (holder: string): ColumnClass => P(holder);

export const COLUMNS: Record<string, Record<string, ColumnClass>> = {
  audit_log: {
    seq: ID, at: WHEN('audit'), actor_type: FLAG, actor_id: P('audit'), action: FLAG, target_type: FLAG, target_id: P('audit'),
    outcome: FLAG, site_id: ID, correlation_id: ID, details: P('audit'), hash: N('hash of the entry and the one before (the chain)'),
  },
  audit_chain_anchor: { id: ID, seq: ID, prev_hash: N('hash where a pruned chain starts') },
  audit_checkpoints: { seq: ID, hash: N('head hash sent off the box'), at: TIME },
  audit_prune_grants: { audit_seq: ID, before: TIME },
  audit_address_keys: { day: TIME, sealed_key: N('a random key sealed under the master key, deleted after audit.address_retention_days') },
  subject_keys: {
    kind: FLAG, subject_id: P('audit'), holder: P('audit'), sealed_key: N('a random key sealed under the master key, deleted with its person'),
    pseudonym: P('audit'), created_at: WHEN('audit'),
  },
  call_legs: { call_id: ID, seq: ID, route: P('calls'), started_at: WHEN('calls'), ended_at: WHEN('calls'), state: FLAG, answered_by: P('calls') },
  call_participants: { call_id: ID, participant_id: P('calls'), kind: FLAG, joined_at: WHEN('calls'), left_at: WHEN('calls') },
  call_quality: {
    call_id: ID, started_at: TIME, ended_at: TIME, intervals: N('figure'), min_mos: N('figure'), mean_mos: N('figure'), below_share: N('figure'),
    worst_loss_percent: N('figure'), worst_jitter_ms: N('figure'), worst_rtt_ms: N('figure'),
  },
  calls: {
    id: ID, site_id: ID, terminal_id: N('a terminal, not a person'), entry_id: P('calls'), started_at: WHEN('calls'), answered_at: WHEN('calls'),
    answered_by: P('calls'), ended_at: WHEN('calls'), outcome: FLAG, end_reason: FLAG, kind: FLAG,
  },
  cards: {
    card_hash: P('device-hub'), site_id: ID, holder_ref: P('device-hub'), kind: FLAG, valid_from: WHEN('device-hub'), valid_until: WHEN('device-hub'),
    doors: P('device-hub'), created_at: WHEN('device-hub'),
  },
  credentials: {
    id: ID, kind: FLAG, site_id: ID, door_id: ID, label: N('names a terminal, device or integration'), attributes: FLAG,
    secret_hash: N('hash of a machine secret'), created_at: TIME, rotated_at: TIME, revoked_at: TIME,
  },
  devices: { id: ID, credential_id: ID, kind: FLAG, site_id: ID, door_id: ID, terminal_id: ID, label: N('names a device'), created_at: TIME, last_seen_at: TIME },
  door_commands: {
    id: ID, door_id: ID, site_id: ID, action: FLAG, seconds: FLAG, issued_by_type: FLAG, issued_by_id: P('device-hub'), correlation_id: ID,
    created_at: WHEN('device-hub'), expires_at: TIME, state: FLAG, sends: FLAG, settled_at: WHEN('device-hub'),
  },
  door_states: { door_id: ID, site_id: ID, state: FLAG, device_id: ID, at: TIME, locked: FLAG },
  door_stations: {
    id: ID, site_id: ID, door_id: ID, name: N('names a door station'), sip_user: N('the SIP user of a door station, not a person'),
    sealed_secret: N('a machine secret sealed under the master key'), entry_id: ID, relay_way: FLAG, relay_code: FLAG, created_at: TIME, updated_at: TIME,
  },
  doors: { id: ID, site_id: ID, name: N('names a door'), created_at: TIME },
  health_changes: { at: TIME, component: FLAG, state: FLAG },
  health_minutes: { minute: TIME, samples: N('figure'), not_ready: N('figure'), last_at: TIME },
  hub_timers: { id: ID, kind: FLAG, key: ID, due_at: TIME, data: N('rule and door ids of a pending timer') },
  one_time_links: { token_hash: N('hash of a one-time secret'), user_id: P('accounts'), purpose: FLAG, created_at: WHEN('accounts'), expires_at: WHEN('accounts'), used_at: WHEN('accounts') },
  pairing_codes: { code_hash: N('hash of a terminal pairing code'), terminal_id: ID, expires_at: TIME, used_at: TIME },
  permissions: { name: FLAG, description: FLAG },
  phonebook_entries: {
    id: ID, site_id: ID, kind: FLAG, name: P('phonebook'), department: P('phonebook'), routes: P('phonebook'), policy: FLAG,
    created_at: WHEN('phonebook'), updated_at: WHEN('phonebook'),
  },
  phonebook_photos: {
    entry_id: ID, photo: P('phonebook-photos'), type: FLAG, width: N('figure: size in pixels'), height: N('figure: size in pixels'), version: FLAG,
    updated_at: WHEN('phonebook-photos'),
  },
  role_assignments: { id: ID, principal_type: FLAG, principal_id: P('accounts'), role_id: ID, site_id: ID },
  role_permissions: { role_id: ID, permission: FLAG },
  roles: { id: ID, name: FLAG, description: FLAG, builtin: FLAG },
  rule_versions: { seq: ID, rule_id: ID, version: FLAG, definition: FLAG, actor_type: FLAG, actor_id: P('device-hub'), at: WHEN('device-hub') },
  rules: { id: ID, site_id: ID, version: FLAG, source: FLAG, file: FLAG, enabled: FLAG, definition: FLAG, updated_at: TIME },
  sessions: { id_hash: N('hash of a session secret'), user_id: P('accounts'), created_at: WHEN('accounts'), last_seen_at: WHEN('accounts'), expires_at: WHEN('accounts') },
  sip_accounts: {
    id: ID, enabled: FLAG, registrar: N('a PBX server address'), secondary_registrars: N('PBX server addresses'), transport: FLAG,
    tls_server_name: N('a PBX server name'), tls_ca: N('a public CA certificate'), srtp: FLAG,
    username: N('the SIP user of the lobby gateway at its PBX, not a person'), auth_username: N('the digest user of the lobby gateway at its PBX, not a person'),
    sealed_password: N('a machine secret sealed under the master key'), domain: N('a SIP domain'), expires: FLAG, outbound_proxy: N('a PBX server address'),
    local_port: FLAG, door_code: N("the account's own door code sealed under the master key (null: sip.door_code, empty: none)"), created_at: TIME, updated_at: TIME,
    // The callers of a terminal number are meant as functions ("Reception", 7001), but the name is a free field: an admin
    // who types a person's name stores a name with a phone extension (review s25 #7). No holder exports or erases it yet.
    inbound: GAP("the PBX trunk's digest user and addresses and numbers mapped to entry and terminal ids (not personal), and the callers allowed to reach a terminal: extension and the name the kiosk shows — meant as a function (Reception), personal where an admin names a person; no holder exports or erases them yet (docs/privacy.md)"),
    sealed_inbound_password: N('a machine secret sealed under the master key'),
    codecs: FLAG,
  },
  sites: { id: ID, name: N('names a site'), time_zone: FLAG, created_at: TIME, opening_hours: FLAG, after_hours_entry_id: ID },
  sla_periods: {
    id: ID, kind: FLAG, site_id: ID, start_at: TIME, end_at: TIME, reason: FLAG, note: N('free text about maintenance, not about a person'),
    drained: FLAG, created_at: TIME, created_by: P('sla'),
  },
  sla_probes: { at: TIME, ok: FLAG, sent: N('figure'), received: N('figure'), error: FLAG },
  sla_runs: { started_at: TIME, stopped_at: TIME, drained: FLAG },
  users: {
    id: P('accounts'), login: P('accounts'), display_name: P('accounts'), email: P('accounts'), password_hash: P('accounts'),
    failed_logins: P('accounts'), locked_until: P('accounts'), disabled: P('accounts'), created_at: WHEN('accounts'), updated_at: WHEN('accounts'),
    sso_subject: P('accounts'),
  },
  welcome_screens: {
    site_id: ID, customer_name: N('names the customer (a company), not a person'), welcome_de: N('text the customer shows every visitor'),
    welcome_en: N('text the customer shows every visitor'), privacy_de: N('text the customer shows every visitor'), privacy_en: N('text the customer shows every visitor'),
    show_availability: FLAG, show_photos: FLAG, logo: N("the customer's logo image"), logo_type: FLAG, logo_version: FLAG, cue_volume: FLAG, updated_at: TIME,
  },
};
