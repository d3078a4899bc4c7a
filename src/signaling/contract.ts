// The signaling contract between the gateway and its browser clients, shared by
// server and pages (docs/signaling.md explains it). One schema per client event;
// every client event is answered through an acknowledgement: { ok: true, ... }
// or { ok: false, error: <code>, message }.
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const Id = Type.String({ minLength: 1, maxLength: 64 });
const Obj = Type.Object({}, { additionalProperties: true });

export const MediaEvents = {
  'media.capabilities': Type.Object({ callId: Id }, { additionalProperties: false }),
  'media.transport': Type.Object({ callId: Id }, { additionalProperties: false }),
  'media.connect': Type.Object({ callId: Id, transportId: Id, dtlsParameters: Obj }, { additionalProperties: false }),
  'media.produce': Type.Object({
    callId: Id, transportId: Id, kind: Type.Union([Type.Literal('audio'), Type.Literal('video')]), rtpParameters: Obj,
  }, { additionalProperties: false }),
  'media.consume': Type.Object({ callId: Id, transportId: Id, producerId: Id, rtpCapabilities: Obj }, { additionalProperties: false }),
  'media.resume': Type.Object({ callId: Id, consumerId: Id }, { additionalProperties: false }),
  'media.pause': Type.Object({ callId: Id, producerId: Id, paused: Type.Boolean() }, { additionalProperties: false }),
} satisfies Record<string, TSchema>;

export const TerminalEvents = {
  'phonebook.search': Type.Object({ q: Type.String({ maxLength: 100 }) }, { additionalProperties: false }),
  'phonebook.reception': Type.Object({}, { additionalProperties: false }),
  'call.start': Type.Object({ entryId: Id }, { additionalProperties: false }),
  'call.hangup': Type.Object({ callId: Id }, { additionalProperties: false }),
  ...MediaEvents,
} satisfies Record<string, TSchema>;

export const DeskEvents = {
  'presence.set': Type.Object({ state: Type.Union([Type.Literal('available'), Type.Literal('away')]) }, { additionalProperties: false }),
  'call.answer': Type.Object({ callId: Id }, { additionalProperties: false }),
  'call.decline': Type.Object({ callId: Id }, { additionalProperties: false }),
  'call.hangup': Type.Object({ callId: Id }, { additionalProperties: false }),
  'door.open': Type.Object({ callId: Id }, { additionalProperties: false }),
  'history.list': Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) }, { additionalProperties: false }),
  ...MediaEvents,
} satisfies Record<string, TSchema>;

export type TerminalEventName = keyof typeof TerminalEvents;
export type DeskEventName = keyof typeof DeskEvents;
export type Payload<S extends TSchema> = Static<S>;

export type ErrorCode = 'invalid' | 'not-found' | 'forbidden' | 'unauthenticated' | 'conflict' | 'busy' | 'locked' | 'rate-limited' | 'timeout' | 'unavailable' | 'internal';
export type Ack<T = Record<string, unknown>> = ({ ok: true } & T) | { ok: false; error: ErrorCode; message: string };

export type DoorState = 'opening' | 'open' | 'failed';

export type Presence = 'available' | 'busy' | 'away' | 'offline';

/** What the terminal shows while a call routes: the step, in the call model's words. */
export interface CallStateMessage {
  callId: string;
  step: 'ringing' | 'queued' | 'answered' | 'ended';
  target?: 'person' | 'group' | 'reception';
  routeIndex?: number;
  position?: number;
  reason?: string;
  outcome?: string;
}

export interface TerminalShowMessage {
  /** Message text in German and English, or a content item the terminal knows. */
  message?: { de: string; en: string };
  content?: { kind: 'url' | 'image'; src: string };
  durationS: number;
  /** Higher wins; calls always rank above content. */
  priority: number;
}

export interface RingMessage {
  callId: string;
  terminal: { id: string; name: string; siteId: string; siteName: string };
  entryId: string;
  hasDoor: boolean;
}

/** Events the gateway sends to terminals. */
export interface ServerToTerminal {
  'call.state': (m: CallStateMessage) => void;
  'media.producer': (m: { callId: string; producerId: string; kind: 'audio' | 'video' }) => void;
  'terminal.show': (m: TerminalShowMessage) => void;
  /** The door of the calling terminal: a desk asked to open it (opening), then the controller's real outcome. */
  'door.state': (m: { callId: string; state: DoorState }) => void;
  'call.resume': (m: { callId: string; state: CallStateMessage }) => void;
  /** The gateway started a call for this terminal (a rule): set up media as after call.start. */
  'call.started': (m: { callId: string; entryId: string; state: CallStateMessage; rtpCapabilities: unknown; audioCodec: string }) => void;
  /** Motion near the terminal: wake the screen. */
  'terminal.wake': (m: Record<string, never>) => void;
}

/** Events the gateway sends to desks. */
export interface ServerToDesk {
  'call.ring': (m: RingMessage) => void;
  'call.stop-ring': (m: { callId: string; reason: string }) => void;
  'call.state': (m: CallStateMessage) => void;
  'call.missed': (m: { callId: string; terminalName: string; at: number }) => void;
  'media.producer': (m: { callId: string; producerId: string; kind: 'audio' | 'video' }) => void;
  'queue.update': (m: { siteId: string; calls: Array<{ callId: string; terminalName: string; since: number }> }) => void;
  'presence.state': (m: { state: Presence }) => void;
  'desk.notify': (m: { text: { de: string; en: string } }) => void;
  'call.resume': (m: { callId: string; state: CallStateMessage }) => void;
}
