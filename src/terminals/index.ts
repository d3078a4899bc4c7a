// Lobby terminals: enrolment with pairing codes, and each kiosk's health.
export { TerminalEnrolment, type PairingCode, type EnrolmentEvents } from './enrolment.ts';
export { KioskHealth, type KioskSettings, type KioskReportBody, type KioskProblem, type TerminalHealth, type DeviceHealth, type KioskHealthEvents } from './kiosk-health.ts';
export { DoorStations, SIP_USER_PATTERN, RELAY_CODE_PATTERN, type DoorStation, type DoorStationInput, type StationRelay, type DoorStationLookups, type SecretSealer, type DoorStationsEvents } from './door-stations.ts';
