// The configuration schema: one source for validation, defaults and the TypeScript type.
// Its `sip` section is sip-schema.ts.
import { Type, type Static } from '@sinclair/typebox';
import { NonEmpty, Port } from './schema-parts.ts';
import { SipConfigSchema } from './sip-schema.ts';

export const ConfigSchema = Type.Object(
  {
    data_dir: NonEmpty,
    store: Type.Object({ path: Type.String() }, { additionalProperties: false }),
    http: Type.Object({ host: NonEmpty, port: Port }, { additionalProperties: false }),
    https: Type.Object(
      {
        host: NonEmpty,
        port: Port,
        host_names: Type.Array(NonEmpty),
        cert: Type.String(),
        key: Type.String(),
        renew_before_days: Type.Integer({ minimum: 1, maximum: 365 }),
      },
      { additionalProperties: false },
    ),
    mqtt: Type.Object(
      {
        tcp: Type.Object({ port: Port }, { additionalProperties: false }),
        tls: Type.Object({ port: Port }, { additionalProperties: false }),
      },
      { additionalProperties: false },
    ),
    device_hub: Type.Object(
      {
        host: Type.String(),
        tls: Type.Boolean(),
        max_packet_bytes: Type.Integer({ minimum: 256, maximum: 268435455 }),
        max_connections: Type.Integer({ minimum: 1, maximum: 1000000 }),
        max_pending_connections: Type.Integer({ minimum: 1, maximum: 1000000 }),
        max_pending_connections_per_address: Type.Integer({ minimum: 1, maximum: 1000000 }),
        connect_attempts_per_minute: Type.Integer({ minimum: 1, maximum: 100000 }),
        connect_failures_per_address_per_minute: Type.Integer({ minimum: 1, maximum: 100000 }),
        connect_failure_backoff_max_seconds: Type.Number({ minimum: 0, maximum: 9 }),
        max_filters_per_subscribe: Type.Integer({ minimum: 1, maximum: 10000 }),
        max_subscriptions_per_device: Type.Integer({ minimum: 1, maximum: 100000 }),
        messages_per_second: Type.Number({ exclusiveMinimum: 0, maximum: 1000000 }),
        message_burst: Type.Integer({ minimum: 1, maximum: 1000000 }),
        command_ack_seconds: Type.Number({ exclusiveMinimum: 0, maximum: 3600 }),
        ack_batch_ms: Type.Integer({ minimum: 0, maximum: 1000 }),
        card_unlock_seconds: Type.Integer({ minimum: 1, maximum: 3600 }),
        max_unlock_seconds: Type.Integer({ minimum: 1, maximum: 3600 }),
        relock_grace_seconds: Type.Number({ minimum: 0, maximum: 3600 }),
        denied_card_reads_per_minute: Type.Integer({ minimum: 1, maximum: 100000 }),
        rules_dir: Type.String(),
        persistence: Type.Union([Type.Literal('sqlite'), Type.Literal('memory')]),
        max_queued_per_device: Type.Integer({ minimum: 1, maximum: 1000000 }),
        command_retention_days: Type.Integer({ minimum: 1, maximum: 3650 }),
        visitor_card_retention_days: Type.Integer({ minimum: 0, maximum: 3650 }),
      },
      { additionalProperties: false },
    ),
    rtc: Type.Object(
      {
        workers: Type.Integer({ minimum: 0, maximum: 64 }),
        base_port: Port,
        listen: Type.Array(
          Type.Object(
            { ip: NonEmpty, announced_address: Type.String() },
            { additionalProperties: false },
          ),
          { minItems: 1 },
        ),
        min_port: Type.Integer({ minimum: 1024, maximum: 65535 }),
        max_port: Type.Integer({ minimum: 1024, maximum: 65535 }),
        mix: Type.Object(
          {
            max_participants: Type.Integer({ minimum: 2, maximum: 32 }),
            max_mixes_per_process: Type.Integer({ minimum: 0, maximum: 10000 }),
            buffer_packets: Type.Integer({ minimum: 1, maximum: 25 }),
            source_timeout_ms: Type.Integer({ minimum: 100, maximum: 60000 }),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
    auth: Type.Object(
      {
        max_failed_logins: Type.Integer({ minimum: 1, maximum: 100 }),
        lockout_minutes: Type.Integer({ minimum: 1, maximum: 1440 }),
        address_attempts_per_minute: Type.Integer({ minimum: 1, maximum: 10000 }),
        address_concurrent_attempts: Type.Integer({ minimum: 1, maximum: 1000 }),
        account_backoff_max_seconds: Type.Integer({ minimum: 1, maximum: 86400 }),
        hash_concurrency: Type.Integer({ minimum: 1, maximum: 64 }),
        hash_queue: Type.Integer({ minimum: 0, maximum: 10000 }),
        session_idle_hours: Type.Number({ exclusiveMinimum: 0, maximum: 720 }),
        session_max_hours: Type.Number({ exclusiveMinimum: 0, maximum: 8760 }),
        first_run_link_hours: Type.Number({ exclusiveMinimum: 0, maximum: 168 }),
        // Single sign-on through the deployment's OpenID provider (src/access/oidc.ts); off while issuer is empty.
        oidc: Type.Object(
          {
            issuer: Type.String(),
            client_id: Type.String(),
            client_secret: Type.String(),
            redirect_url: Type.String(),
            scopes: Type.Array(NonEmpty, { minItems: 1 }),
            groups_claim: NonEmpty,
            roles: Type.Array(
              Type.Object(
                { group: NonEmpty, role: NonEmpty, site: Type.Optional(Type.String()) },
                { additionalProperties: false },
              ),
            ),
            flow_minutes: Type.Number({ exclusiveMinimum: 0, maximum: 60 }),
            max_pending_flows: Type.Integer({ minimum: 1, maximum: 1000000 }),
            max_pending_flows_per_address: Type.Integer({ minimum: 1, maximum: 1000000 }),
          },
          { additionalProperties: false },
        ),
        // Single sign-on through the deployment's SAML 2.0 identity provider (src/access/saml.ts); off while entry_point is empty.
        saml: Type.Object(
          {
            entry_point: Type.String(),
            idp_cert: Type.String(),
            idp_entity_id: Type.String(),
            entity_id: Type.String(),
            acs_url: Type.String(),
            name_id_format: NonEmpty,
            groups_attribute: NonEmpty,
            display_name_attribute: NonEmpty,
            roles: Type.Array(
              Type.Object(
                { group: NonEmpty, role: NonEmpty, site: Type.Optional(Type.String()) },
                { additionalProperties: false },
              ),
            ),
            clock_skew_seconds: Type.Integer({ minimum: 0, maximum: 300 }),
            flow_minutes: Type.Number({ exclusiveMinimum: 0, maximum: 60 }),
            max_pending_flows: Type.Integer({ minimum: 1, maximum: 1000000 }),
            max_pending_flows_per_address: Type.Integer({ minimum: 1, maximum: 1000000 }),
            max_remembered_assertions: Type.Integer({ minimum: 1, maximum: 10000000 }),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
    web: Type.Object(
      {
        trust_proxy: Type.Array(NonEmpty),
        logo_max_kib: Type.Integer({ minimum: 1, maximum: 10240 }),
        photo_max_kib: Type.Integer({ minimum: 1, maximum: 10240 }),
      },
      { additionalProperties: false },
    ),
    calls: Type.Object(
      {
        reconnect_grace_seconds: Type.Number({ minimum: 0, maximum: 300 }),
        queue_timeout_seconds: Type.Integer({ minimum: 10, maximum: 3600 }),
        door_open_seconds: Type.Integer({ minimum: 1, maximum: 60 }),
        pairing_code_minutes: Type.Integer({ minimum: 1, maximum: 1440 }),
        pairing_failures_per_address_per_minute: Type.Integer({ minimum: 1, maximum: 10000 }),
        pairing_failures_per_minute: Type.Integer({ minimum: 1, maximum: 100000 }),
        max_event_kib: Type.Integer({ minimum: 1, maximum: 4096 }),
        ringing_preview_sites: Type.Array(NonEmpty),
        // A terminal that answered a telephone by itself (sip.accounts[].inbound.terminals): its call's longest duration, and whether it does so outside opening hours.
        callback_max_seconds: Type.Integer({ minimum: 10, maximum: 86400 }),
        callback_outside_hours: Type.Boolean(),
      },
      { additionalProperties: false },
    ),
    quality: Type.Object(
      {
        interval_seconds: Type.Number({ minimum: 1, maximum: 300 }),
        mos_threshold: Type.Number({ minimum: 1, maximum: 4.5 }),
        low_quality_intervals: Type.Integer({ minimum: 1, maximum: 1000 }),
        opus_ie: Type.Number({ minimum: 0, maximum: 95 }),
        opus_bpl: Type.Number({ exclusiveMinimum: 0, maximum: 100 }),
        reports_per_interval: Type.Integer({ minimum: 1, maximum: 100 }),
        timeline_intervals: Type.Integer({ minimum: 1, maximum: 10000 }),
      },
      { additionalProperties: false },
    ),
    sla: Type.Object(
      {
        sample_seconds: Type.Number({ minimum: 1, maximum: 300 }),
        probe_seconds: Type.Number({ minimum: 5, maximum: 3600 }),
        probe_packets: Type.Integer({ minimum: 1, maximum: 1000 }),
        probe_timeout_seconds: Type.Number({ minimum: 0.1, maximum: 60 }),
        probe_failures: Type.Integer({ minimum: 1, maximum: 100 }),
        note_max_chars: Type.Integer({ minimum: 1, maximum: 10000 }),
        retention_days: Type.Integer({ minimum: 32, maximum: 36600 }),
        target_percent: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 100 }),
        budget_check_seconds: Type.Number({ minimum: 1, maximum: 86400 }),
        kiosk_offline_grace_seconds: Type.Number({ minimum: 1, maximum: 3600 }),
        kiosk_report_seconds: Type.Number({ minimum: 5, maximum: 3600 }),
        kiosk_device_check_seconds: Type.Number({ minimum: 30, maximum: 86_400 }),
        kiosk_reports_per_minute: Type.Integer({ minimum: 1, maximum: 600 }),
      },
      { additionalProperties: false },
    ),
    alerts: Type.Object(
      {
        webhook_url: Type.String(),
        webhook_timeout_seconds: Type.Number({ minimum: 0.1, maximum: 120 }),
        webhook_attempts: Type.Integer({ minimum: 1, maximum: 20 }),
        webhook_retry_seconds: Type.Number({ minimum: 0.1, maximum: 3600 }),
        webhook_max_pending: Type.Integer({ minimum: 1, maximum: 10000 }),
        mqtt: Type.Boolean(),
        budget_burn_percent: Type.Array(Type.Number({ exclusiveMinimum: 0, maximum: 1000 }), { maxItems: 10 }),
      },
      { additionalProperties: false },
    ),
    sip: SipConfigSchema,
    // The audit log (src/audit): read-audit granularity and the chain's checkpoints off the box.
    audit: Type.Object(
      {
        read_window_minutes: Type.Integer({ minimum: 1, maximum: 1440 }),
        // An admin's address in an audit entry (details.from) opens for this many days, then its day's key is deleted.
        address_retention_days: Type.Integer({ minimum: 1, maximum: 365 }),
        checkpoint: Type.Object(
          {
            every_entries: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
            every_minutes: Type.Integer({ minimum: 1, maximum: 1440 }),
            webhook_url: Type.String(),
            syslog: Type.String({ pattern: '^$|^(\\[[0-9a-fA-F:.]+\\]|[^:\\s]+):[0-9]{1,5}$' }),
            timeout_seconds: Type.Number({ minimum: 0.1, maximum: 120 }),
            retry_seconds: Type.Number({ minimum: 0.1, maximum: 3600 }),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
    privacy: Type.Object(
      {
        prune_minutes: Type.Integer({ minimum: 1, maximum: 1440 }),
        retention_days: Type.Object(
          {
            call_records: Type.Integer({ minimum: 1, maximum: 3650 }),
            // The database refuses to prune audit entries younger than 30 days (migration 060).
            audit: Type.Integer({ minimum: 30, maximum: 3650 }),
            sessions: Type.Integer({ minimum: 0, maximum: 365 }),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
    // Secrets at rest (src/secrets): the master key sealing config secrets and the key files under data_dir.
    secrets: Type.Object(
      {
        master_key: Type.String(),
        master_key_file: Type.String(),
        previous_master_keys: Type.Array(NonEmpty),
        previous_master_key_files: Type.Array(NonEmpty),
      },
      { additionalProperties: false },
    ),
    // The installation's storage quota (src/storage): usage of data_dir's databases and uploads.
    storage: Type.Object(
      {
        quota_gb: Type.Number({ exclusiveMinimum: 0, maximum: 100000 }),
        warn_percent: Type.Integer({ minimum: 1, maximum: 100 }),
        check_minutes: Type.Number({ exclusiveMinimum: 0, maximum: 1440 }),
      },
      { additionalProperties: false },
    ),
    lifecycle: Type.Object(
      { drain_seconds: Type.Number({ minimum: 0, maximum: 3600 }) },
      { additionalProperties: false },
    ),
    log: Type.Object(
      {
        level: Type.Union(
          ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
        ),
        pseudonymise: Type.Boolean(),
        format: Type.Union([Type.Literal('auto'), Type.Literal('json'), Type.Literal('text')]),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
