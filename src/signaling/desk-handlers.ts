// Events a desk softphone may send: presence, answer / decline / hang up, open
// the calling terminal's door, call history, and the media of its call.
import type { Socket } from 'socket.io';
import { UnauthenticatedError } from '../core/index.ts';
import { DeskEvents } from './contract.ts';
import { dispatch } from './dispatch.ts';
import { mediaHandlers } from './media-handlers.ts';
import { qualityHandlers } from './quality-handlers.ts';
import type { SignalingContext } from './context.ts';
import { stateMessage } from './messages.ts';
import { deskHistory } from './desk-history.ts';

export function deskHandlers(ctx: SignalingContext, socket: Socket, userId: string, onPresence: () => void, sessionValid: () => Promise<boolean>): void {
  dispatch(socket, DeskEvents, {
    'presence.set': async ({ state }) => {
      ctx.desks.setState(userId, state);
      onPresence();
      return { state: ctx.calls.isBusy(userId) ? 'busy' : state };
    },
    'call.answer': async ({ callId }) => {
      if (!(await sessionValid())) throw new UnauthenticatedError('your session has ended');
      // The call session checks: already in a call, ended (conflict), unknown (not-found), no media (unavailable).
      const call = await ctx.calls.answer(callId, userId);
      const media = ctx.calls.mediaOf(callId, userId);
      const terminal = await ctx.terminalInfo(call.terminalId);
      const phoneMedia = call.phoneMedia;
      return {
        state: stateMessage(call), rtpCapabilities: media.rtpCapabilities, producers: ctx.calls.producersFor(callId, userId).map(({ producerId, kind }) => ({ producerId, kind })),
        terminal: {
          id: call.terminalId, name: terminal?.label ?? call.phone?.label ?? '', hasDoor: Boolean(terminal?.doorId) || Boolean(call.phone?.door),
          // A telephone in the call: whether its media to the PBX is encrypted (later changes: call.phone-media).
          ...(phoneMedia === undefined ? {} : { media: phoneMedia }),
        },
      };
    },
    'call.decline': async ({ callId }) => { await ctx.calls.decline(callId, userId); },
    'call.hangup': async ({ callId }) => { await ctx.calls.hangup(callId, userId); },
    // The call session opens the door (participant or door.unlock, outbox, audit, the terminal told).
    'door.open': async ({ callId }) => {
      if (!(await sessionValid())) throw new UnauthenticatedError('your session has ended');
      return ctx.calls.openDoor(callId, userId);
    },
    // The call session checks the permission (call.transfer), audits, and routes the call to the entry.
    'call.transfer': async ({ callId, entryId }) => {
      if (!(await sessionValid())) throw new UnauthenticatedError('your session has ended');
      await ctx.calls.transfer(callId, userId, entryId);
    },
    'call.add': async ({ callId, entryId }) => {
      if (!(await sessionValid())) throw new UnauthenticatedError('your session has ended');
      await ctx.calls.addColleague(callId, userId, entryId);
    },
    // Attended transfer: the call session checks call.transfer and the consult's state, holds the visitor and audits each step.
    'consult.start': async ({ callId, entryId }) => {
      if (!(await sessionValid())) throw new UnauthenticatedError('your session has ended');
      await ctx.calls.consult(callId, userId, entryId);
    },
    'consult.complete': async ({ callId }) => {
      if (!(await sessionValid())) throw new UnauthenticatedError('your session has ended');
      await ctx.calls.completeConsult(callId, userId);
    },
    'consult.cancel': async ({ callId }) => {
      if (!(await sessionValid())) throw new UnauthenticatedError('your session has ended');
      await ctx.calls.cancelConsult(callId, userId);
    },
    'history.list': async ({ limit }) => ({ calls: await deskHistory(ctx, userId, limit ?? 50) }),
    ...mediaHandlers(ctx, userId),
    ...qualityHandlers(ctx, userId),
  }, ctx.logger, { maxPayloadBytes: ctx.maxEventBytes });
}
