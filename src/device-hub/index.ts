// Device hub: the embedded MQTT broker (aedes), device identities and ACLs, the
// door-command outbox (the DoorControl the rest of Portier uses), the payload
// contract and the rules engine.
export { DeviceHub, type DeviceHubDeps, type DeviceHubSettings, type DoorStatus, type HubTraffic } from './hub.ts';
export { HubMetrics } from './hub-metrics.ts';
export { DEVICE_KINDS } from './devices.ts';
export { parseDeviceTopic } from './topics.ts';
export { parseDeviceMessage } from './payloads.ts';
export { DoorOutbox } from './outbox.ts';
export type { TerminalContent, TerminalShowRequest, CallStarter, DeskNotifier, HubPorts, Localised } from './ports.ts';
export type { Device, DevicePatch, RegisterDevice } from './devices.ts';
export type { DeviceKind } from './tables.ts';
export type { HubEvent } from './messages.ts';
export type { HubObserverEvents } from './observer.ts';
export type { Rule, RuleAction } from './rules/rule-schema.ts';
export { parseRule } from './rules/rule-schema.ts';
export type { StoredRule, RuleVersion } from './rules/rule-store.ts';
export type { Evaluation } from './rules/engine.ts';
export type { Card, CardInput, CardPatch } from './cards.ts';
export { WS_PATH } from './listeners.ts';
export { settingsFromConfig } from './settings.ts';
