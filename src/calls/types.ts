// The words of a call: legs, their states, steps the terminal shows, end reasons.
import type { Route } from '../phonebook/index.ts';
import type { AudioCodec, MediaProtection, ParticipantKind } from './media-port.ts';

export type LegState = 'ringing' | 'answered' | 'declined' | 'busy' | 'no-answer' | 'cancelled' | 'failed';

export type EndReason =
  | 'hangup-terminal' | 'hangup-desk' | 'cancelled' | 'no-answer' | 'disconnected' | 'media-failure' | 'media-timeout' | 'session-expired' | 'shutdown'
  /** A terminal that answered a telephone by itself reached calls.callback_max_seconds. */
  | 'max-duration'
  /** The caller's PBX took it on to another extension (a desk's transfer by SIP REFER): Portier's part of the call is over. */
  | 'transferred';

/** A visitor's call (a terminal or a telephone calling in for someone), or a telephone a terminal answered by itself (not counted in the SLA). */
export type CallKind = 'visitor' | 'callback';

export type CallOutcome = 'answered' | 'missed' | 'cancelled' | 'failed';

/** What the terminal shows: which step of the routing the call is on. */
export type CallStep =
  | { step: 'ringing'; routeIndex: number; target: 'person' | 'group' | 'reception' }
  | { step: 'queued'; position: number }
  | { step: 'answered'; by: string }
  /** A desk handed the visitor to another entry (blind transfer); it rings now. */
  | { step: 'transferring'; by: string }
  /** The visitor waits while a desk consults a colleague (attended transfer): it hears and sees nobody. */
  | { step: 'on-hold'; by: string }
  | { step: 'ended'; reason: EndReason; outcome: CallOutcome };

export interface CallLeg {
  seq: number;
  route: Route;
  /** Users this leg rings (one for a person, the available members for a group). */
  ringing: string[];
  state: LegState;
  startedAt: number;
  endedAt: number | null;
  answeredBy: string | null;
  /** A leg that rings a colleague into the answered call (three-way): the desk that asked. */
  addedBy?: string;
  /** An attended transfer's consult leg (also has addedBy): who answers talks to that desk only until it completes. */
  consult?: true;
  /** Why a leg ended without answer: offline, busy, timeout, declined. */
  note?: string;
}

/** Someone in the call: the calling terminal, a desk that answered, later a SIP or Teams leg. */
export interface Participant {
  id: string;
  kind: ParticipantKind;
  /** The audio codec it receives (mediasoup never transcodes). */
  audioCodec: AudioCodec;
  /** A telephone (`sip`): whether its leg's media to the PBX is encrypted; unset until the bridge knows. */
  media?: MediaProtection;
  joinedAt: number;
  leftAt: number | null;
}

export interface CallInfo {
  id: string;
  kind: CallKind;
  siteId: string;
  terminalId: string;
  entryId: string;
  startedAt: number;
  answeredAt: number | null;
  answeredBy: string | null;
  endedAt: number | null;
  step: CallStep;
  legs: CallLeg[];
  participants: Participant[];
}
