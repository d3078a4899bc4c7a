// Events a lobby terminal may send: search the phone book, start and end its
// call, and the media of that call. A terminal acts only on its own call.
import type { Socket } from 'socket.io';
import type { Credential } from '../credentials/index.ts';
import { TerminalEvents, type Presence } from './contract.ts';
import { dispatch } from './dispatch.ts';
import { mediaHandlers } from './media-handlers.ts';
import { qualityHandlers } from './quality-handlers.ts';
import type { SignalingContext } from './context.ts';
import { stateMessage } from './messages.ts';

/** Starts a call from the terminal; the call session opens its media (a router on the least-loaded worker). */
export async function openCall(ctx: SignalingContext, terminal: Credential, entryId: string) {
  const call = await ctx.calls.start({ id: terminal.id, siteId: terminal.siteId! }, entryId);
  // start() resolves with the media attached (also when every route was offline and the call already ended).
  return {
    callId: call.id, state: stateMessage(call), rtpCapabilities: call.media!.rtpCapabilities,
    audioCodec: call.participant(terminal.id)!.audioCodec,
  };
}

export function terminalHandlers(ctx: SignalingContext, socket: Socket, terminal: Credential): void {
  const siteId = terminal.siteId!;
  const presenceOf = (userId: string): Presence =>
    ctx.calls.isBusy(userId) ? 'busy' : ctx.desks.state(userId);

  dispatch(socket, TerminalEvents, {
    'phonebook.search': async ({ q }) => {
      // Availability and photos are personal data on a public screen: sent only where the site's start screen shows them.
      const availability = await ctx.welcome.showsAvailability(siteId);
      const hits = ctx.phonebook.search(siteId, q);
      const photos = await ctx.welcome.showsPhotos(siteId) ? await ctx.photos.versions(hits.map((h) => h.entry.id)) : new Map<string, number>();
      return {
        results: hits.map(({ entry }) => ({
          id: entry.id, name: entry.name, department: entry.department, kind: entry.kind,
          presence: availability && entry.routes[0]?.type === 'desk-user' ? presenceOf(entry.routes[0].userId) : undefined,
          photo: photos.has(entry.id) ? `/api/terminal/photos/${encodeURIComponent(entry.id)}?v=${photos.get(entry.id)}` : undefined,
        })),
      };
    },
    'phonebook.reception': async () => {
      const entry = ctx.phonebook.reception(siteId);
      return { entry: entry ? { id: entry.id, name: entry.name, department: entry.department, kind: entry.kind } : null };
    },
    'call.start': async ({ entryId }) => openCall(ctx, terminal, entryId),
    'call.hangup': async ({ callId }) => { await ctx.calls.hangup(callId, terminal.id); },
    ...mediaHandlers(ctx, terminal.id),
    ...qualityHandlers(ctx, terminal.id),
    // The kiosk's health (page, camera, microphone, last activity); the answer says when to report next.
    'terminal.health': async (report) => ctx.kiosk.report(terminal.id, report),
  }, ctx.logger, { maxPayloadBytes: ctx.maxEventBytes });
}
