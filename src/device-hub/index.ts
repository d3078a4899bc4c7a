// Device hub: the embedded MQTT broker (aedes), device identities, rules. Its
// own issue builds it; the mqtt.* ports are already part of the configuration.
import { disabledComponent, type StatusSource } from '../lifecycle/index.ts';

export function createDeviceHub(): StatusSource {
  return disabledComponent('mqtt', 'device hub not built yet (issue: device hub)');
}
