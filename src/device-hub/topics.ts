// The topic layout of docs/devices.md and the per-kind ACL that enforces it.
// Pure functions: the broker hooks call them for every publish, subscribe and delivery.
import type { DeviceKind } from './tables.ts';

export const ROOT = 'portier';
export const DEAD_LETTER = `${ROOT}/$dead-letter`;

/** Leaves a device publishes in its own namespace, by kind. */
const PUBLISHES: Record<DeviceKind | 'integration', readonly string[]> = {
  integration: [],
  'card-reader': ['card', 'status', 'event'],
  door: ['state', 'ack', 'status', 'event'],
  panel: ['card', 'state', 'ack', 'status', 'event'],
  sensor: ['event', 'status'],
  display: ['status', 'ack'],
};

/** Leaves only the gateway publishes (devices may subscribe to their own). */
export const GATEWAY_LEAVES = ['presence', 'display'] as const;

export interface DeviceIdentity {
  id: string;
  /** `integration`: an API token with device.admin on every site, read-only on portier/#. */
  kind: DeviceKind | 'integration';
  siteId: string;
  doorId: string | null;
  /** Carried from registration so per-message flows need no lookup. */
  terminalId?: string | null;
  credentialId?: string;
}

export interface DeviceTopic {
  siteId: string;
  deviceId: string;
  leaf: string;
}

const SEGMENT = /^[a-z0-9][a-z0-9-]{0,62}$/;
const LEAF = /^[a-z-]{1,32}$/;
const SLASH = 0x2f;

/** portier/<site>/<device>/<leaf> → its parts; undefined for anything else. */
export function parseDeviceTopic(topic: string): DeviceTopic | undefined {
  const parts = topic.split('/');
  if (parts.length !== 4 || parts[0] !== ROOT) return undefined;
  const [, siteId, deviceId, leaf] = parts as [string, string, string, string];
  if (!SEGMENT.test(siteId) || !SEGMENT.test(deviceId) || deviceId === 'doors' || !LEAF.test(leaf)) return undefined;
  return { siteId, deviceId, leaf };
}

/**
 * What follows portier/<site>/<device>/ when site and device are the device's
 * own, compared in place (no split, no copies: this runs for every publish).
 */
function ownRest(device: DeviceIdentity, topic: string): string | undefined {
  const { siteId, id } = device;
  const site = ROOT.length + 1;
  const dev = site + siteId.length + 1;
  const leaf = dev + id.length + 1;
  if (topic.length <= leaf || !topic.startsWith(ROOT) || topic.charCodeAt(site - 1) !== SLASH
    || !topic.startsWith(siteId, site) || topic.charCodeAt(dev - 1) !== SLASH
    || !topic.startsWith(id, dev) || topic.charCodeAt(leaf - 1) !== SLASH) return undefined;
  return topic.slice(leaf);
}

/** Whether the device's site and id can form a device topic at all (registration ensures it). */
const validNamespace = (device: DeviceIdentity): boolean => SEGMENT.test(device.siteId) && SEGMENT.test(device.id) && device.id !== 'doors';

/** The leaf of a topic in the device's own namespace: what parseDeviceTopic gives when site and device are the device's. */
export function ownLeaf(device: DeviceIdentity, topic: string): string | undefined {
  const rest = ownRest(device, topic);
  return rest !== undefined && LEAF.test(rest) && validNamespace(device) ? rest : undefined;
}

export const deviceTopic = (siteId: string, deviceId: string, leaf: string): string => `${ROOT}/${siteId}/${deviceId}/${leaf}`;
export const doorCommandTopic = (siteId: string, doorId: string): string => `${ROOT}/${siteId}/doors/${doorId}/cmd`;
export const doorStateTopic = (siteId: string, doorId: string): string => `${ROOT}/${siteId}/doors/${doorId}/state`;

/** portier/<site>/doors/<door>/cmd → the door; undefined for anything else. */
export function parseDoorCommandTopic(topic: string): { siteId: string; doorId: string } | undefined {
  if (!topic.endsWith('/cmd')) return undefined; // every delivery asks; most are not commands
  const m = /^portier\/([^/]+)\/doors\/([^/]+)\/cmd$/.exec(topic);
  return m ? { siteId: m[1]!, doorId: m[2]! } : undefined;
}

/**
 * The topics a device of this identity publishes and subscribes to, from the same
 * tables the ACL enforces (the admin page shows them with a new secret).
 */
export function deviceTopics(device: DeviceIdentity): { publish: string[]; subscribe: string[] } {
  if (device.kind === 'integration') return { publish: [], subscribe: [`${ROOT}/#`] };
  const subscribe = [`${ROOT}/${device.siteId}/${device.id}/#`];
  if ((device.kind === 'door' || device.kind === 'panel') && device.doorId !== null) subscribe.push(doorCommandTopic(device.siteId, device.doorId));
  if (device.kind === 'display' || device.kind === 'panel') subscribe.push(`${ROOT}/${device.siteId}/doors/+/state`);
  return { publish: PUBLISHES[device.kind].map((leaf) => deviceTopic(device.siteId, device.id, leaf)), subscribe };
}

/** A device's publish ACL: the leaf of a topic it may publish to, undefined where it refuses (see publishedLeaf). */
export type PublishAcl = (topic: string) => string | undefined;

const REFUSE_ALL: PublishAcl = () => undefined;

/**
 * The device's publish ACL, made once per connection (the broker runs it for every
 * PUBLISH): whether the device's site and id form a namespace at all is checked here,
 * once, instead of by two pattern tests per message.
 */
export function publishAcl(device: DeviceIdentity): PublishAcl {
  if (device.kind === 'integration' || !validNamespace(device)) return REFUSE_ALL;
  const leaves = PUBLISHES[device.kind];
  // Every leaf a kind publishes is a valid leaf: no pattern test needed for it.
  return (topic) => {
    const rest = ownRest(device, topic);
    return rest !== undefined && leaves.includes(rest) ? rest : undefined;
  };
}

/**
 * The leaf of a topic the device may publish to (its own namespace, a leaf its
 * kind publishes): what ownLeaf gives for it; undefined: the ACL refuses it.
 */
export function publishedLeaf(device: DeviceIdentity, topic: string): string | undefined {
  return publishAcl(device)(topic);
}

export function mayPublish(device: DeviceIdentity, topic: string): boolean {
  return publishedLeaf(device, topic) !== undefined;
}

/**
 * A device subscribes inside its own namespace (no wildcard reaching further),
 * and a door or panel to the command topic of its door.
 */
/** Displays and panels show door states of their site: portier/<site>/doors/+/state or one door. */
function mayWatchDoorStates(device: DeviceIdentity, filterOrTopic: string): boolean {
  if (device.kind !== 'display' && device.kind !== 'panel') return false;
  const m = /^portier\/([^/]+)\/doors\/([^/#]+)\/state$/.exec(filterOrTopic);
  return !!m && m[1] === device.siteId;
}

export function maySubscribe(device: DeviceIdentity, filter: string): boolean {
  if (device.kind === 'integration') return filter === `${ROOT}/#` || filter.startsWith(`${ROOT}/`);
  if (mayWatchDoorStates(device, filter)) return true;
  if (filter.includes('#') && filter !== `${ROOT}/${device.siteId}/${device.id}/#`) return false;
  if (filter.includes('+')) return false;
  if (filter === `${ROOT}/${device.siteId}/${device.id}/#`) return true;
  const t = parseDeviceTopic(filter);
  if (t) return t.siteId === device.siteId && t.deviceId === device.id;
  return (device.kind === 'door' || device.kind === 'panel') && device.doorId !== null
    && filter === doorCommandTopic(device.siteId, device.doorId);
}

/** Delivery check (authorizeForward): the same rule as subscribe, on the concrete topic. */
export function mayReceive(device: DeviceIdentity, topic: string): boolean {
  if (device.kind === 'integration') return topic.startsWith(`${ROOT}/`);
  if (mayWatchDoorStates(device, topic)) return true;
  const t = parseDeviceTopic(topic);
  if (t) return t.siteId === device.siteId && t.deviceId === device.id;
  return (device.kind === 'door' || device.kind === 'panel') && device.doorId !== null
    && topic === doorCommandTopic(device.siteId, device.doorId);
}
