// Lobby terminals: enrolment with pairing codes.
export { TerminalEnrolment, type PairingCode } from './enrolment.ts';
