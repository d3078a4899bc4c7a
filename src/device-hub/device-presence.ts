// Device presence: a device's connect and disconnect touch its last-seen time,
// publish its presence retained, and a door controller coming online gets the
// commands still pending for its door. Which controllers are online per door
// answers the outbox's "is this door reachable now".
import type { Logger } from 'pino';
import type { Clock } from '../core/index.ts';
import type { Broker } from './broker.ts';
import type { Devices } from './devices.ts';
import { deviceTopic } from './topics.ts';

export interface PresenceDeps {
  broker: Broker;
  devices: Devices;
  clock: Clock;
  logger: Logger;
  /** Re-sends the commands still pending for a door (the outbox). */
  resend: (doorId: string) => Promise<unknown>;
}

export class DevicePresence {
  readonly #d: PresenceDeps;
  /** The door of each door controller (door, panel) seen since start. */
  readonly #doorOf = new Map<string, string>();
  #closed = false;

  constructor(deps: PresenceDeps) {
    this.#d = deps;
  }

  doorOnline(doorId: string): boolean {
    return this.#d.broker.onlineDevices.some((id) => this.#doorOf.get(id) === doorId);
  }

  async update(device: { id: string; siteId: string; doorId: string | null; kind: string }, online: boolean): Promise<void> {
    if (device.kind === 'integration') return;
    const { broker, devices, clock, logger } = this.#d;
    try {
      if (device.doorId && (device.kind === 'door' || device.kind === 'panel')) this.#doorOf.set(device.id, device.doorId);
      await devices.touch(device.id);
      await broker.publish(deviceTopic(device.siteId, device.id, 'presence'), JSON.stringify({ online, at: clock.now() }), { qos: 1, retain: true });
      if (online && device.doorId && this.#doorOf.has(device.id)) await this.#d.resend(device.doorId);
    } catch (error) {
      if (!this.#closed) logger.error({ device: device.id, err: error }, 'device hub: presence update failed');
    }
  }

  /** After close, a failed update of a device dropped by the shutdown is not an error. */
  close(): void {
    this.#closed = true;
  }
}
