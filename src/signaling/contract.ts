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

/**
 * A page's compact getStats report on its leg of a call, every quality interval
 * (quality.report; docs/quality.md): what it receives, cumulative counters. Fixed
 * fields only (no lists, no free text), so a valid report is a few hundred bytes;
 * how often a leg may report is quality.reports_per_interval.
 */
const Count = Type.Integer({ minimum: 0, maximum: 2 ** 40 });
const Ms = Type.Number({ minimum: 0, maximum: 600_000 });
export const QualityEvents = {
  'quality.report': Type.Object({
    callId: Id,
    audio: Type.Optional(Type.Object({ packetsReceived: Count, packetsLost: Count, packetsDiscarded: Count, jitterMs: Ms }, { additionalProperties: false })),
    video: Type.Optional(Type.Object({ framesDecoded: Count, framesDropped: Count, freezeCount: Count }, { additionalProperties: false })),
    rttMs: Type.Optional(Type.Union([Ms, Type.Null()])),
  }, { additionalProperties: false }),
} satisfies Record<string, TSchema>;

/**
 * A kiosk's health (terminal.health; docs/quality.md "Kiosk health"): what its page shows,
 * whether its camera and microphone are there, allowed and delivering, and when someone last
 * touched it. Sent at connect, on a change and every interval the gateway answers with.
 */
const Device = Type.Object({
  /** The browser lists such a device. */
  present: Type.Boolean(),
  /** The page may use it (permission granted). */
  permitted: Type.Boolean(),
  /** A track of it is live: the call's track, or a short check while idle. */
  live: Type.Boolean(),
}, { additionalProperties: false });
export const HealthEvents = {
  'terminal.health': Type.Object({
    page: Type.Union([Type.Literal('start'), Type.Literal('call'), Type.Literal('ended')]),
    visible: Type.Boolean(),
    camera: Device,
    microphone: Device,
    /** Last touch or key on the page (ms since the epoch), null when none since it loaded. */
    lastActivityAt: Type.Union([Type.Integer({ minimum: 0, maximum: 2 ** 53 - 1 }), Type.Null()]),
  }, { additionalProperties: false }),
} satisfies Record<string, TSchema>;

export const TerminalEvents = {
  'phonebook.search': Type.Object({ q: Type.String({ maxLength: 100 }) }, { additionalProperties: false }),
  'phonebook.reception': Type.Object({}, { additionalProperties: false }),
  'call.start': Type.Object({ entryId: Id }, { additionalProperties: false }),
  'call.hangup': Type.Object({ callId: Id }, { additionalProperties: false }),
  ...MediaEvents,
  ...QualityEvents,
  ...HealthEvents,
} satisfies Record<string, TSchema>;

export const DeskEvents = {
  'presence.set': Type.Object({ state: Type.Union([Type.Literal('available'), Type.Literal('away')]) }, { additionalProperties: false }),
  'call.answer': Type.Object({ callId: Id }, { additionalProperties: false }),
  'call.decline': Type.Object({ callId: Id }, { additionalProperties: false }),
  'call.hangup': Type.Object({ callId: Id }, { additionalProperties: false }),
  'door.open': Type.Object({ callId: Id }, { additionalProperties: false }),
  /** Blind transfer to another phone-book entry of the call's site (call.transfer). */
  'call.transfer': Type.Object({ callId: Id, entryId: Id }, { additionalProperties: false }),
  /** Add a colleague (three-way): rings an entry of the call's site; who answers joins the call (call.transfer). */
  'call.add': Type.Object({ callId: Id, entryId: Id }, { additionalProperties: false }),
  /** Attended transfer: consult a colleague (an entry of the call's site) while the visitor waits on hold (call.transfer). */
  'consult.start': Type.Object({ callId: Id, entryId: Id }, { additionalProperties: false }),
  /** Hand the visitor to the colleague who answered the consult, and leave. */
  'consult.complete': Type.Object({ callId: Id }, { additionalProperties: false }),
  /** End the consult (the colleague leaves or stops ringing): back to the visitor. */
  'consult.cancel': Type.Object({ callId: Id }, { additionalProperties: false }),
  'history.list': Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) }, { additionalProperties: false }),
  ...MediaEvents,
  ...QualityEvents,
} satisfies Record<string, TSchema>;

export type TerminalEventName = keyof typeof TerminalEvents;
export type DeskEventName = keyof typeof DeskEvents;
export type Payload<S extends TSchema> = Static<S>;

export type ErrorCode = 'invalid' | 'not-found' | 'forbidden' | 'unauthenticated' | 'conflict' | 'busy' | 'locked' | 'rate-limited' | 'timeout' | 'unavailable' | 'closed' | 'internal' | 'insufficient-storage';
/** A refusal carries `reason` (a key of the pages' catalogues) and its `params`; `message` is English, for logs. */
export type Ack<T = Record<string, unknown>> = ({ ok: true } & T)
  | { ok: false; error: ErrorCode; reason: string; params: Record<string, string | number>; message: string };

/** One schema per server event too: the types below are derived from them (Static), and tests check real events against them. */
const DoorStateSchema = Type.Union([Type.Literal('opening'), Type.Literal('open'), Type.Literal('failed')]);
const PresenceSchema = Type.Union([Type.Literal('available'), Type.Literal('busy'), Type.Literal('away'), Type.Literal('offline')]);
const Text = Type.Object({ de: Type.String(), en: Type.String() });
const MediaProtectionSchema = Type.Union([Type.Literal('srtp'), Type.Literal('rtp')]);

/** What the terminal shows while a call routes: the step, in the call model's words. */
const CallState = Type.Object({
  callId: Type.String(),
  step: Type.Union([Type.Literal('ringing'), Type.Literal('queued'), Type.Literal('answered'), Type.Literal('transferring'), Type.Literal('on-hold'), Type.Literal('ended')]),
  target: Type.Optional(Type.Union([Type.Literal('person'), Type.Literal('group'), Type.Literal('reception')])),
  routeIndex: Type.Optional(Type.Integer()),
  position: Type.Optional(Type.Integer()),
  reason: Type.Optional(Type.String()),
  outcome: Type.Optional(Type.String()),
});

const TerminalShow = Type.Object({
  /** Message text in German and English, or a content item the terminal knows. */
  message: Type.Optional(Text),
  content: Type.Optional(Type.Object({ kind: Type.Union([Type.Literal('url'), Type.Literal('image')]), src: Type.String() })),
  durationS: Type.Number(),
  /** Higher wins; calls always rank above content. */
  priority: Type.Number(),
});

const Ring = Type.Object({
  callId: Type.String(),
  terminal: Type.Object({
    id: Type.String(), name: Type.String(), siteId: Type.String(), siteName: Type.String(),
    /**
     * A telephone's call (inbound SIP, or one a colleague passes on): whether its leg's media to the PBX is encrypted,
     * as its offer settled it — shown on the ringing card before the answer; absent when no telephone is in the call
     * or not yet known (a late offer: the ACK tells it, call.phone-media).
     */
    media: Type.Optional(MediaProtectionSchema),
  }),
  entryId: Type.String(),
  /** The phone-book entry the visitor chose (its name and department: what the desk says it rings for). */
  entry: Type.Object({ name: Type.String(), department: Type.Union([Type.String(), Type.Null()]) }),
  /**
   * Why this desk rings: the chosen person, a group (department), the reception
   * after the entry's earlier routes went unanswered (host → reception), a
   * colleague's transfer, or a colleague asking to join or consult.
   */
  via: Type.Union(['person', 'group', 'reception', 'transfer', 'add', 'consult'].map((s) => Type.Literal(s))),
  /** Which of the entry's routes rings now (0-based) and how many it has. */
  routeIndex: Type.Integer({ minimum: 0 }),
  routeCount: Type.Integer({ minimum: 0 }),
  /** Whether this site lets a ringing desk see the visitor's video before answering (calls.ringing_preview_sites). */
  preview: Type.Boolean(),
  hasDoor: Type.Boolean(),
  /**
   * The URL of the chosen entry's photo (GET /api/desk/photos/{id}?v=…), sent only where the entry has one and its
   * site's start screen shows photos (showPhotos: the one switch for showing them outside the admin page).
   */
  photo: Type.Optional(Type.String()),
});

const MediaProducer = Type.Object({
  callId: Type.String(), producerId: Type.String(), kind: Type.Union([Type.Literal('audio'), Type.Literal('video')]),
  /** A telephone's early media (SIP 183 with SDP: ringback, an announcement): the calling terminal plays it while the call rings. */
  early: Type.Optional(Type.Literal(true)),
});
const CallResume = Type.Object({ callId: Type.String(), state: CallState });
const ConsultState = Type.Object({
  callId: Type.String(),
  state: Type.Union(['ringing', 'answered', 'completed', 'cancelled', 'declined', 'no-answer'].map((s) => Type.Literal(s))),
  /** The desk that consults, and the colleague once answered (user ids). */
  by: Type.String(),
  colleague: Type.Optional(Type.String()),
  /** Why it ended without completion: declined, timeout, offline, cancelled, hangup. */
  reason: Type.Optional(Type.String()),
});

/** Events the gateway sends to terminals. */
export const TerminalServerEvents = {
  'call.state': CallState,
  'media.producer': MediaProducer,
  /** Another participant's producer closed (it left the call, or produced again): stop showing and playing it. */
  'media.producer-closed': MediaProducer,
  'terminal.show': TerminalShow,
  /** The door of the calling terminal: a desk asked to open it (opening), then the controller's real outcome. */
  'door.state': Type.Object({ callId: Type.String(), state: DoorStateSchema }),
  'call.resume': CallResume,
  /** The gateway started a call for this terminal (a rule): set up media as after call.start. */
  'call.started': Type.Object({
    callId: Type.String(), entryId: Type.String(), state: CallState, rtpCapabilities: Type.Unknown(), audioCodec: Type.String(),
    /** A telephone called this terminal, which answered by itself (sip.accounts[].inbound.terminals): show who, that camera and microphone are on, and chime. */
    callback: Type.Optional(Type.Object({ caller: Type.String() })),
  }),
  /** Motion near the terminal: wake the screen. */
  'terminal.wake': Type.Object({}, { additionalProperties: false }),
  /**
   * A telephone answered the call in G.711 (mediasoup does not transcode): the
   * gateway closed your audio producer in another codec; produce the microphone
   * again in `audioCodec` (mediasoup-client's `codec` option).
   */
  'media.codec': Type.Object({ callId: Type.String(), audioCodec: Type.String() }),
  /** An admin asked for this kiosk page to reload (terminal.admin; audited). */
  'terminal.reload': Type.Object({}, { additionalProperties: false }),
  /** The caller's PBX moved a callback to another telephone (REFER), which answered: its notice names `name` now. */
  'call.caller': Type.Object({ callId: Type.String(), name: Type.String() }),
} satisfies Record<string, TSchema>;

/** Events the gateway sends to desks. */
export const DeskServerEvents = {
  'call.ring': Ring,
  'call.stop-ring': Type.Object({ callId: Type.String(), reason: Type.String() }),
  'call.state': CallState,
  'call.missed': Type.Object({ callId: Type.String(), terminalName: Type.String(), fromPhone: Type.Boolean(), at: Type.Number() }),
  'media.producer': MediaProducer,
  'media.producer-closed': MediaProducer,
  'queue.update': Type.Object({ siteId: Type.String(), calls: Type.Array(Type.Object({ callId: Type.String(), terminalName: Type.String(), since: Type.Number() })) }),
  'presence.state': Type.Object({ state: PresenceSchema }),
  'desk.notify': Type.Object({ text: Text }),
  'call.resume': CallResume,
  /** A call this desk took part in or was rung for has ended and its record is written: history.list shows it now. */
  'history.changed': Type.Object({ callId: Type.String() }),
  /** An attended transfer's consult, to the consulting desk and (once answered) the colleague: ringing, answered, then one end. */
  'consult.state': ConsultState,
  /** You answered a call from a telephone (inbound SIP): produce the microphone in its G.711 `audioCodec`. */
  'media.codec': Type.Object({ callId: Type.String(), audioCodec: Type.String() }),
  /** The caller's PBX moved your call to another of its telephones (SIP REFER): the caller is `name` (its phone-book entry) now. */
  'call.caller': Type.Object({ callId: Type.String(), name: Type.String() }),
  /**
   * The telephone in your call: whether its leg's media to the PBX is encrypted (`srtp`, SDES keys over TLS) or plain
   * (`rtp`) — told when it becomes known or changes: to the desks in the call (a late offer's ACK, a telephone the PBX
   * moved the call to, a re-offer) and to those it rings; the ring's and the call.answer ack's `terminal.media` say it before.
   */
  'call.phone-media': Type.Object({ callId: Type.String(), media: MediaProtectionSchema }),
} satisfies Record<string, TSchema>;

/**
 * The admin page's sections (/admin namespace, admin.changed): a change names the
 * section it touched and its site (null: deployment-wide); the page refetches that
 * section through the API, under its own permissions. Nothing else travels.
 */
export const ADMIN_SECTIONS = ['sites', 'calls', 'quality', 'phonebook', 'terminals', 'devices', 'cards', 'rules', 'welcome', 'users', 'audit', 'alerts'] as const;
export type AdminSection = typeof ADMIN_SECTIONS[number];

/** Events the gateway sends to admin pages. The admin namespace takes no client events (a first connect's handshake carries `auth: { since }`). */
export const AdminServerEvents = {
  'admin.changed': Type.Object({
    section: Type.Union(ADMIN_SECTIONS.map((s) => Type.Literal(s))),
    siteId: Type.Union([Type.String(), Type.Null()]),
  }, { additionalProperties: false }),
  /** Changes may have been missed and cannot be named (the page's mark is of another gateway process): refetch every section. */
  'admin.resync': Type.Object({}, { additionalProperties: false }),
} satisfies Record<string, TSchema>;

export type DoorState = Static<typeof DoorStateSchema>;
export type Presence = Static<typeof PresenceSchema>;
export type MediaProtection = Static<typeof MediaProtectionSchema>;
export type CallStateMessage = Static<typeof CallState>;
export type TerminalShowMessage = Static<typeof TerminalShow>;
export type RingMessage = Static<typeof Ring>;
export type KioskReport = Static<typeof HealthEvents['terminal.health']>;

/** socket.io's event maps, derived from the schemas: Server/Namespace<ClientToServer, ServerToClient>. */
type Emits<E extends Record<string, TSchema>> = { [K in keyof E]: (m: Static<E[K]>) => void };
type Receives<E extends Record<string, TSchema>> = { [K in keyof E]: (m: Static<E[K]>, ack: (a: Ack) => void) => void };
export type ServerToTerminal = Emits<typeof TerminalServerEvents>;
export type ServerToDesk = Emits<typeof DeskServerEvents>;
export type ServerToAdmin = Emits<typeof AdminServerEvents>;
export type AdminChange = Static<typeof AdminServerEvents['admin.changed']>;
export type TerminalToServer = Receives<typeof TerminalEvents>;
export type DeskToServer = Receives<typeof DeskEvents>;
