// The configuration schema's SIP part (the `sip` section: the bridge, its accounts and
// door stations; src/sip-bridge/settings.ts reads it), kept apart from schema.ts for size.
import { Type } from '@sinclair/typebox';
import { NonEmpty, Port } from './schema-parts.ts';

/** A DTMF door code: 1–16 keys of 0–9, * and #; empty = none. */
const DoorCode = Type.String({ pattern: '^[0-9*#]{0,16}$' });
/** A SIP leg's audio codecs in order of preference (src/sip-bridge/audio-codecs.ts checks: once each, G.711 among them). */
const Codecs = Type.Array(Type.Union([Type.Literal('opus'), Type.Literal('pcmu'), Type.Literal('pcma')]), { minItems: 1, maxItems: 3 });

export const SipConfigSchema = Type.Object(
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
);
