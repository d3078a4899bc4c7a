// Maps the validated configuration (mqtt.*, device_hub.*) to the hub's settings.
import { join, resolve } from 'node:path';
import type { Config } from '../config/index.ts';
import type { DeviceHubSettings } from './hub.ts';

/** Relative `rules_dir` resolves against the working directory, like the other paths. */
export function settingsFromConfig(config: Config): DeviceHubSettings {
  const h = config.device_hub;
  return {
    host: h.host === '' ? config.https.host : h.host,
    tcpPort: config.mqtt.tcp.port,
    tlsPort: h.tls ? config.mqtt.tls.port : null,
    limits: {
      maxPacketBytes: h.max_packet_bytes,
      maxConnections: h.max_connections,
      maxPendingConnections: h.max_pending_connections,
      maxPendingPerAddress: h.max_pending_connections_per_address,
      connectAttemptsPerMinute: h.connect_attempts_per_minute,
      connectFailuresPerMinute: h.connect_failures_per_address_per_minute,
      connectBackoffMaxMs: h.connect_failure_backoff_max_seconds * 1000,
      maxFiltersPerSubscribe: h.max_filters_per_subscribe,
      maxSubscriptionsPerDevice: h.max_subscriptions_per_device,
      messagesPerSecond: h.messages_per_second,
      messageBurst: h.message_burst,
    },
    commandAckMs: h.command_ack_seconds * 1000,
    ackBatchMs: h.ack_batch_ms,
    cardUnlockSeconds: h.card_unlock_seconds,
    relockGraceMs: h.relock_grace_seconds * 1000,
    deniedCardReadsPerMinute: h.denied_card_reads_per_minute,
    rulesDir: h.rules_dir === '' ? undefined : resolve(h.rules_dir),
    sessions: h.persistence === 'sqlite'
      ? { kind: 'sqlite', path: join(config.data_dir, 'mqtt-sessions.db'), maxQueuedPerDevice: h.max_queued_per_device }
      : { kind: 'memory' },
    retention: { commandDays: h.command_retention_days, visitorCardDays: h.visitor_card_retention_days },
  };
}
