// The configuration schema: one source for validation, defaults and the TypeScript type.
import { Type, type Static } from '@sinclair/typebox';

const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const NonEmpty = Type.String({ minLength: 1 });
/** A DTMF door code: 1–16 keys of 0–9, * and #; empty = none. */
const DoorCode = Type.String({ pattern: '^[0-9*#]{0,16}$' });
/** A SIP leg's audio codecs in order of preference (src/sip-bridge/audio-codecs.ts checks: once each, G.711 among them). */
const Codecs = Type.Array(Type.Union([Type.Literal('opus'), Type.Literal('pcmu'), Type.Literal('pcma')]), { minItems: 1, maxItems: 3 });

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
    sip: Type.Object(
      {
        bind_address: NonEmpty,
        advertised_address: Type.String(),
        t1_ms: Type.Integer({ minimum: 10, maximum: 10000 }),
        t2_ms: Type.Integer({ minimum: 10, maximum: 60000 }),
        max_cached_responses: Type.Integer({ minimum: 1, maximum: 1000000 }),
        max_message_bytes: Type.Integer({ minimum: 1024, maximum: 1048576 }),
        force_rport: Type.Boolean(),
        keepalive_seconds: Type.Number({ minimum: 0.1, maximum: 3600 }),
        retry_min_seconds: Type.Number({ minimum: 0.1, maximum: 3600 }),
        retry_max_seconds: Type.Number({ minimum: 0.1, maximum: 86400 }),
        failback_hold_seconds: Type.Number({ minimum: 0, maximum: 86400 }),
        dns_servers: Type.Array(NonEmpty, { maxItems: 8 }),
        dns_max_ttl_seconds: Type.Number({ minimum: 1, maximum: 86400 }),
        door_code: DoorCode,
        door_code_digit_timeout_ms: Type.Integer({ minimum: 500, maximum: 60000 }),
        door_code_max_wrong: Type.Integer({ minimum: 1, maximum: 20 }),
        rtp_port_min: Type.Integer({ minimum: 1024, maximum: 65535 }),
        rtp_port_max: Type.Integer({ minimum: 1024, maximum: 65535 }),
        rtp_timeout_seconds: Type.Integer({ minimum: 5, maximum: 3600 }),
        refer_timeout_seconds: Type.Integer({ minimum: 1, maximum: 600 }),
        late_offer_codec: Type.Union([Type.Literal('PCMA'), Type.Literal('PCMU')]),
        codecs: Codecs,
        session_timer: Type.Object(
          // RFC 4028 §4: Min-SE is never below 90 s (tests take a lower floor through GatewayOptions.sessionMinSeconds).
          { min_seconds: Type.Integer({ minimum: 90, maximum: 86400 }) },
          { additionalProperties: false },
        ),
        stream_idle_seconds: Type.Integer({ minimum: 10, maximum: 86400 }),
        stream_max_connections: Type.Integer({ minimum: 1, maximum: 100000 }),
        stream_max_connections_per_source: Type.Integer({ minimum: 1, maximum: 100000 }),
        inbound: Type.Object(
          {
            rate_per_minute: Type.Number({ minimum: 1, maximum: 100000 }),
            burst: Type.Integer({ minimum: 1, maximum: 100000 }),
            max_sources: Type.Integer({ minimum: 1, maximum: 1000000 }),
            nonce_seconds: Type.Integer({ minimum: 5, maximum: 3600 }),
            max_calls: Type.Integer({ minimum: 1, maximum: 1000 }),
            busy_retry_seconds: Type.Integer({ minimum: 1, maximum: 3600 }),
            refusal_log_seconds: Type.Integer({ minimum: 1, maximum: 3600 }),
          },
          { additionalProperties: false },
        ),
        stations: Type.Object(
          {
            enabled: Type.Boolean(),
            bind_address: Type.String(),
            port: Type.Integer({ minimum: 0, maximum: 65535 }),
            transports: Type.Array(Type.Union([Type.Literal('udp'), Type.Literal('tcp'), Type.Literal('tls')]), { maxItems: 3 }),
            tcp_port: Type.Integer({ minimum: 0, maximum: 65535 }),
            tls_port: Type.Integer({ minimum: 0, maximum: 65535 }),
            advertised_address: Type.String(),
            realm: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' }),
            min_expires: Type.Integer({ minimum: 10, maximum: 86400 }),
            max_expires: Type.Integer({ minimum: 10, maximum: 86400 }),
            max_calls: Type.Integer({ minimum: 1, maximum: 100 }),
            max_calls_total: Type.Integer({ minimum: 1, maximum: 1000 }),
            relay_timeout_seconds: Type.Integer({ minimum: 1, maximum: 60 }),
          },
          { additionalProperties: false },
        ),
        accounts: Type.Array(
          Type.Object(
            {
              id: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' }),
              enabled: Type.Optional(Type.Boolean()),
              registrar: NonEmpty,
              secondary_registrars: Type.Optional(Type.Array(NonEmpty, { maxItems: 8 })),
              transport: Type.Optional(Type.Union([Type.Literal('udp'), Type.Literal('tcp'), Type.Literal('tls'), Type.Literal('ws'), Type.Literal('wss')])),
              tls: Type.Optional(Type.Object(
                { ca: Type.Optional(Type.String()), server_name: Type.Optional(Type.String()) },
                { additionalProperties: false },
              )),
              srtp: Type.Optional(Type.Union([Type.Literal('off'), Type.Literal('offer'), Type.Literal('require')])),
              username: NonEmpty,
              auth_username: Type.Optional(Type.String()),
              password: Type.String(),
              domain: Type.Optional(Type.String()),
              expires: Type.Optional(Type.Integer({ minimum: 1, maximum: 86400 })),
              outbound_proxy: Type.Optional(Type.String()),
              local_port: Type.Optional(Port),
              door_code: Type.Optional(DoorCode),
              codecs: Type.Optional(Codecs),
              inbound: Type.Optional(Type.Object(
                {
                  username: NonEmpty,
                  password: Type.String(),
                  realm: Type.Optional(NonEmpty),
                  sources: Type.Optional(Type.Array(NonEmpty)),
                  // INVITEs from the account's registrar/outbound proxy (address and port) are trunk calls without a challenge.
                  trust_registrar: Type.Optional(Type.Boolean()),
                  numbers: Type.Array(Type.Object(
                    { number: NonEmpty, entry: NonEmpty },
                    { additionalProperties: false },
                  )),
                  // Numbers that reach a terminal, which answers by itself (callers: who may; docs/sip.md).
                  terminals: Type.Optional(Type.Array(Type.Object(
                    {
                      number: NonEmpty, terminal: NonEmpty,
                      // id: the caller's stable name in the audit (review s22 #20), unique per terminal number.
                      callers: Type.Array(Type.Object({
                        id: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' }), number: NonEmpty, name: Type.Optional(NonEmpty),
                      }, { additionalProperties: false }), { minItems: 1 }),
                    },
                    { additionalProperties: false },
                  ))),
                },
                { additionalProperties: false },
              )),
            },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
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
