// Turns call-service events (the call's steps and its participants' new
// producers) into socket events for the terminal and desk rooms
// (terminal:<id>, desk:<user>, site:<id>). It watches calls; it owns nothing.
import type { Namespace, Socket } from 'socket.io';
import type { Call, CallServiceEvents } from '../calls/index.ts';
import type { SignalingContext } from './context.ts';
import type { CallStateMessage } from './contract.ts';
import { isPhoneCaller } from './desk-history.ts';
import { stateMessage } from './messages.ts';

/** Why a desk rings for this call now (the ring's `via`): its leg, a transfer, or the entry's route. */
function ringsVia(call: Call): 'person' | 'group' | 'reception' | 'transfer' | 'add' | 'consult' {
  const leg = call.currentLeg;
  if (leg?.consult) return 'consult';
  if (leg?.addedBy) return 'add';
  if (call.transferredBy) return 'transfer';
  const route = call.routes[call.routeIndex];
  if (route?.reception) return 'reception';
  return route?.route.type === 'desk-user' ? 'person' : 'group';
}

export class CallNotifier {
  readonly #ctx: SignalingContext;
  readonly #terminals: Namespace;
  readonly #desks: Namespace;
  readonly #off: Array<() => void> = [];
  readonly #queueChanges = new Map<string, number>();

  constructor(ctx: SignalingContext, terminals: Namespace, desks: Namespace) {
    this.#ctx = ctx;
    this.#terminals = terminals;
    this.#desks = desks;
    this.#on('ring', (userId, call) => void this.#ring(userId, call));
    this.#on('stopring', (userId, call, reason) => this.#desk(userId).emit('call.stop-ring', { callId: call.id, reason }));
    this.#on('step', (call) => {
      const m = stateMessage(call);
      // The calling terminal hears every step, also before it joined (a rule's call) and after it left.
      if (!call.hasParticipant(call.terminalId)) this.#terminal(call.terminalId).emit('call.state', m);
      for (const p of call.participants) if (p.leftAt === null) this.#room(p)?.emit('call.state', m);
    });
    // A participant produced: every other participant of the call may consume it,
    // and so may the desks it rings now (to prepare; paused until they answer).
    // A ringing desk's producer goes to the participants only (paused until that
    // desk answers; then it is announced again).
    // Nothing is announced across a hold (the visitor during a consult); its end announces to one participant (`to`).
    // A telephone that still rings and produces sends early media (SIP 183): marked, so the terminal plays it at once.
    this.#on('newproducer', (call, { producerId, kind, participantId }, to) => {
      const m = { callId: call.id, producerId, kind, ...(call.isEarlyMedia(participantId) ? { early: true as const } : {}) };
      for (const p of call.participants) {
        if (p.id !== participantId && p.leftAt === null && !call.separated(p.id, participantId) && (to === undefined || p.id === to)) this.#room(p)?.emit('media.producer', m);
      }
      if (!call.hasParticipant(participantId) || to !== undefined) return;
      for (const u of call.currentLeg?.ringing ?? []) if (!call.hasParticipant(u) && !call.separated(u, participantId)) this.#desk(u).emit('media.producer', m);
    });
    // The consult of an attended transfer: the consulting desk and the colleague (also after either left).
    this.#on('consult', (call, { state, by, colleague, reason }) => {
      const m = { callId: call.id, state, by, ...(colleague ? { colleague } : {}), ...(reason ? { reason } : {}) };
      for (const u of new Set([by, ...(colleague ? [colleague] : [])])) this.#desk(u).emit('consult.state', m);
    });
    // A telephone answered in G.711: the participant produces its audio again in that codec.
    this.#on('audiocodec', (call, participantId, audioCodec) => {
      const p = call.participant(participantId);
      if (p) this.#room(p)?.emit('media.codec', { callId: call.id, audioCodec });
    });
    // A telephone's leg settled whether its media is encrypted: the desks in the call show it beside the caller, those it
    // rings on their ringing card (a colleague asked to join while the PBX re-offers).
    this.#on('protection', (call, _participantId, media) => {
      const m = { callId: call.id, media };
      for (const p of call.participants) if (p.kind === 'desk' && p.leftAt === null) this.#desk(p.id).emit('call.phone-media', m);
      for (const u of call.currentLeg?.ringing ?? []) if (!call.hasParticipant(u)) this.#desk(u).emit('call.phone-media', m);
    });
    // A producer closed (its participant left the call): those who may have consumed it stop showing it.
    this.#on('producerclosed', (call, { producerId, kind, participantId }) => {
      const m = { callId: call.id, producerId, kind };
      for (const p of call.participants) if (p.id !== participantId && p.leftAt === null) this.#room(p)?.emit('media.producer-closed', m);
      for (const u of call.currentLeg?.ringing ?? []) if (u !== participantId && !call.hasParticipant(u)) this.#desk(u).emit('media.producer-closed', m);
    });
    // The call ended (history.list waits for its record): every desk that took part, rang or was rung by name reloads its history.
    this.#on('ended', (call) => {
      const users = new Set([
        ...call.participants.filter((p) => p.kind === 'desk').map((p) => p.id),
        ...call.legs.flatMap((l) => [...l.ringing, ...(l.route.type === 'desk-user' ? [l.route.userId] : [])]),
      ]);
      for (const u of users) this.#desk(u).emit('history.changed', { callId: call.id });
    });
    // The caller's PBX moved it to another telephone (REFER), which answered: the desks and the terminal in the call
    // (a callback: the lobby's camera and microphone are on) see who is on the line now (review s25 #9: no screen that lies).
    this.#on('moved', (call, move) => {
      if (!move.answered || move.name === undefined) return;
      const m = { callId: call.id, name: move.name };
      for (const p of call.participants) if (p.leftAt === null) this.#room(p)?.emit('call.caller', m);
    });
    this.#on('doorstate', (call, state) => this.#terminal(call.terminalId).emit('door.state', { callId: call.id, state }));
    this.#on('missed', (userId, call) => void this.#missed(userId, call));
    this.#on('queue', (siteId) => void this.#queue(siteId));
  }

  #on<K extends keyof CallServiceEvents>(event: K, fn: (...args: CallServiceEvents[K]) => void): void {
    this.#ctx.calls.on(event, fn);
    this.#off.push(() => this.#ctx.calls.off(event, fn));
  }

  #terminal(id: string) { return this.#terminals.to(`terminal:${id}`); }
  #desk(userId: string) { return this.#desks.to(`desk:${userId}`); }

  state(call: Call): CallStateMessage { return stateMessage(call); }

  #room(p: { id: string; kind: string }) {
    if (p.kind === 'terminal') return this.#terminal(p.id);
    if (p.kind === 'desk') return this.#desk(p.id);
    return undefined;
  }

  async #ring(userId: string, call: Call): Promise<void> {
    // The terminal's label is a name on the card too: without it the ring still goes out.
    const terminal = await this.#ctx.terminalInfo(call.terminalId).catch(() => undefined);
    const site = await this.#ctx.sites.get(call.siteId).catch(() => undefined);
    const leg = call.currentLeg;
    if (call.ended || !leg?.ringing.includes(userId)) return;
    const entry = this.#ctx.phonebook.find(call.entryId);
    // The photo is decoration: a lookup that fails (a store error, the store closing) must not cost the ring.
    const photo = entry ? await this.#photoOf(entry.id, entry.siteId).catch((error: Error) => {
      this.#ctx.logger.warn({ err: error, callId: call.id }, 'signaling: the ring goes out without the entry photo');
      return undefined;
    }) : undefined;
    if (call.ended || !call.currentLeg?.ringing.includes(userId)) return;
    const media = call.phoneMedia;
    this.#desk(userId).emit('call.ring', {
      callId: call.id, entryId: call.entryId, hasDoor: Boolean(terminal?.doorId) || Boolean(call.phone?.door),
      // A telephone's call (inbound SIP) names the caller as its trunk does, and says whether its leg is encrypted (the INVITE's offer).
      terminal: {
        id: call.terminalId, name: terminal?.label ?? call.phone?.label ?? '', siteId: call.siteId, siteName: site?.name ?? call.siteId,
        ...(media === undefined ? {} : { media }),
      },
      entry: { name: entry?.name ?? '', department: entry?.department ?? null },
      via: ringsVia(call),
      routeIndex: Math.max(0, call.routeIndex), routeCount: call.routes.length,
      preview: this.#ctx.calls.ringingPreview(call.siteId),
      ...(photo === undefined ? {} : { photo }),
    });
  }

  /** The URL of the entry's photo for a desk, where it has one and its site shows photos (as the kiosk does). */
  async #photoOf(entryId: string, siteId: string): Promise<string | undefined> {
    if (!await this.#ctx.welcome.showsPhotos(siteId)) return undefined;
    const version = (await this.#ctx.photos.versions([entryId])).get(entryId);
    return version === undefined ? undefined : `/api/desk/photos/${encodeURIComponent(entryId)}?v=${version}`;
  }

  async #missed(userId: string, call: Call): Promise<void> {
    const terminal = await this.#ctx.terminalInfo(call.terminalId);
    this.#desk(userId).emit('call.missed', { callId: call.id, terminalName: terminal?.label ?? '', fromPhone: isPhoneCaller(call.terminalId), at: this.#ctx.clock.now() });
  }

  async #queueMessage(siteId: string) {
    const calls = await Promise.all(this.#ctx.calls.queued(siteId).map(async (c) => ({
      callId: c.id, terminalName: (await this.#ctx.terminalInfo(c.terminalId))?.label ?? '', since: c.startedAt,
    })));
    return { siteId, calls };
  }

  /**
   * A message names the waiting terminals, looked up in the store: one about an older queue may be
   * ready after one about a newer queue. Only the message about the latest change goes out (a desk
   * showed a visitor who had left, for good); `#queueChanges` counts the changes per site.
   */
  async #queue(siteId: string): Promise<void> {
    const change = (this.#queueChanges.get(siteId) ?? 0) + 1;
    this.#queueChanges.set(siteId, change);
    const m = await this.#queueMessage(siteId);
    if (this.#queueChanges.get(siteId) === change) this.#desks.to(`site:${siteId}`).emit('queue.update', m);
  }

  /**
   * Sends a newly connected desk the queues of the sites it serves (it is in their rooms already):
   * unless the queue changed meanwhile, whose message reaches it anyway.
   */
  sendQueues(socket: Socket): void {
    for (const room of socket.rooms) {
      if (!room.startsWith('site:')) continue;
      const siteId = room.slice(5);
      const change = this.#queueChanges.get(siteId);
      void this.#queueMessage(siteId).then((m) => { if (this.#queueChanges.get(siteId) === change) socket.emit('queue.update', m); });
    }
  }

  close(): void {
    for (const off of this.#off) off();
  }
}
