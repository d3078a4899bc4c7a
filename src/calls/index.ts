// Calls from terminals to desks: the call model, routing policy and records.
export { Call, type CallEvents } from './call.ts';
export { CallService, type CallServiceEvents, type CallServiceOptions } from './call-service.ts';
export { CallRecords, type CallRow, type CallParticipantRow, type CallTables } from './call-records.ts';
export type { DeskPresence, Directory, CallRecorder, OpeningHoursPort, CallAudit } from './ports.ts';
export type { CallerRelay, DoorOpeningDeps, DoorState, DoorOutcome } from './door-opening.ts';
export { DoorCodeEntry, type DtmfDigit, type DoorCodePolicy, type DoorCodeResult } from './door-code.ts';
export type { ConsultState, ConsultUpdate } from './attended-transfer.ts';
export type { PhoneTransferPort, PhoneReferOutcome } from './phone-transfer.ts';
export { phoneCallRoutes, deskSendsPhoneCodec, type PhoneCaller, type TerminalCaller } from './phone-caller.ts';
export { PhoneLegs, type PhoneLeg, type PhoneLegDriver, type PhoneLegFailure, type PhoneLegHandlers, type PhoneLegRequest, type PhoneLegOutcomes, type PhoneReferral, type PhoneMove, type CallerTarget } from './phone-legs.ts';
export {
  MEDIA_LIMITS, type MediaPort, type CallMedia, type CallMediaEvents, type CallMediaObserverEvents, type MediaParticipant, type ParticipantKind,
  type AudioCodec, type MediaProtection, type MediaKind, type MediaParameters, type WebRtcTransportInfo, type PlainTransportInfo, type ProducerInfo, type ConsumerInfo, type HeldConsumer,
} from './media-port.ts';
export type { StreamStats, ParticipantStats, RoomSwap, FarEndReport } from './media-port.ts';
export type { CallInfo, CallKind, CallLeg, CallStep, EndReason, LegState, CallOutcome, Participant } from './types.ts';
