// Events a lobby terminal may send: search the phone book, start and end its
// call, and the media of that call. A terminal acts only on its own call.
import type { Socket } from 'socket.io';
import type { Credential } from '../credentials/index.ts';
import { ForbiddenError } from '../core/index.ts';
import type { Call, CallMedia } from '../calls/index.ts';
import { TerminalEvents, type Presence } from './contract.ts';
import { dispatch } from './dispatch.ts';
import { mediaHandlers } from './media-handlers.ts';
import type { SignalingContext } from './context.ts';
import { stateMessage } from './messages.ts';

/** Starts a call from the terminal with its media (a router on the least-loaded worker). */
export async function openCall(ctx: SignalingContext, terminal: Credential, entryId: string, watch: (call: Call, media: CallMedia) => void) {
  const call = await ctx.calls.start({ id: terminal.id, siteId: terminal.siteId! }, entryId);
  try {
    const media = await ctx.mediaPort.open(call.id);
    ctx.media.set(call.id, media);
    const participant = media.join({ id: terminal.id, kind: 'terminal' });
    media.on('failed', () => void ctx.calls.endCall(call.id, 'media-failure'));
    watch(call, media);
    if (call.ended) media.close();
    return { callId: call.id, state: stateMessage(call), rtpCapabilities: media.rtpCapabilities, audioCodec: participant.audioCodec };
  } catch (error) {
    await ctx.calls.endCall(call.id, 'media-failure');
    throw error;
  }
}

export function terminalHandlers(ctx: SignalingContext, socket: Socket, terminal: Credential, watch: (call: Call, media: CallMedia) => void): void {
  const siteId = terminal.siteId!;
  const mine = (call: { terminalId: string }) => call.terminalId === terminal.id;
  const presenceOf = (userId: string): Presence =>
    ctx.calls.isBusy(userId) ? 'busy' : ctx.desks.state(userId);

  dispatch(socket, TerminalEvents, {
    'phonebook.search': async ({ q }) => ({
      results: ctx.phonebook.search(siteId, q).map(({ entry }) => ({
        id: entry.id, name: entry.name, department: entry.department, kind: entry.kind,
        presence: entry.routes[0]?.type === 'desk-user' ? presenceOf(entry.routes[0].userId) : undefined,
      })),
    }),
    'phonebook.reception': async () => {
      const entry = ctx.phonebook.reception(siteId);
      return { entry: entry ? { id: entry.id, name: entry.name, department: entry.department, kind: entry.kind } : null };
    },
    'call.start': async ({ entryId }) => openCall(ctx, terminal, entryId, watch),
    'call.hangup': async ({ callId }) => {
      const call = ctx.calls.get(callId);
      if (!mine(call)) throw new ForbiddenError('not your call');
      await ctx.calls.hangup(callId, 'terminal');
    },
    ...mediaHandlers(ctx, terminal.id, mine),
  }, ctx.logger);
}
