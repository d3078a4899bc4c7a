// Prometheus metrics of the device hub's MQTT broker, appended to /metrics: connected
// clients by the kind they authenticated as, connections not authenticated yet, messages
// received from devices, delivered to them and published by the gateway, and refusals by
// reason. Everything is read from the hub when scraped (DeviceHub.traffic: counters the
// broker raises where it already runs per message); it listens to nothing and owns nothing.
import { promHeader, promLabel } from '../core/index.ts';
import { DEVICE_KINDS } from './devices.ts';
import { REFUSAL_REASONS } from './broker-auth.ts';
import type { HubTraffic } from './hub.ts';

const KINDS = [...DEVICE_KINDS, 'integration'] as const;

export class HubMetrics {
  readonly #hub: { traffic(): HubTraffic };
  #closed = false;

  constructor(deps: { hub: { traffic(): HubTraffic } }) {
    this.#hub = deps.hub;
  }

  render(): string {
    if (this.#closed) return '';
    const t = this.#hub.traffic();
    return [
      ...promHeader('portier_mqtt_clients', 'gauge', 'MQTT connections authenticated now, by the kind of device they are (integration: an API token).'),
      ...KINDS.map((kind) => `portier_mqtt_clients{kind="${promLabel(kind)}"} ${t.online.get(kind) ?? 0}`),
      ...promHeader('portier_mqtt_connections_pending', 'gauge', 'MQTT connections open now that have not authenticated yet.'),
      `portier_mqtt_connections_pending ${t.pending}`,
      ...promHeader('portier_mqtt_messages_received_total', 'counter', 'PUBLISHes from devices the broker accepted (their ACL and message rate passed).'),
      `portier_mqtt_messages_received_total ${t.received}`,
      ...promHeader('portier_mqtt_messages_invalid_total', 'counter', 'Accepted device messages that failed the payload contract (dead-lettered).'),
      `portier_mqtt_messages_invalid_total ${t.invalid}`,
      ...promHeader('portier_mqtt_messages_delivered_total', 'counter', 'Messages the broker handed to connected devices and integrations (their delivery ACL passed).'),
      `portier_mqtt_messages_delivered_total ${t.delivered}`,
      ...promHeader('portier_mqtt_messages_published_total', 'counter', 'Messages the gateway published itself: door commands and states, alerts, dead letters.'),
      `portier_mqtt_messages_published_total ${t.published}`,
      ...promHeader('portier_mqtt_refused_total', 'counter', 'Connections, PUBLISHes and subscriptions the broker refused, by reason.'),
      ...REFUSAL_REASONS.map((reason) => `portier_mqtt_refused_total{reason="${promLabel(reason)}"} ${t.refused[reason] ?? 0}`),
      '',
    ].join('\n');
  }

  /** Idempotent; it holds no listener, so nothing is left to detach. */
  close(): void {
    this.#closed = true;
  }
}
