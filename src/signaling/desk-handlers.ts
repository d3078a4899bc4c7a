// Events a desk softphone may send: presence, answer / decline / hang up, open
// the calling terminal's door, call history, and the media of its call.
import type { Socket } from 'socket.io';
import { ForbiddenError, InvalidError, UnauthenticatedError } from '../core/index.ts';
import { DeskEvents } from './contract.ts';
import { dispatch } from './dispatch.ts';
import { mediaHandlers } from './media-handlers.ts';
import type { SignalingContext } from './context.ts';
import { stateMessage } from './messages.ts';

export function deskHandlers(ctx: SignalingContext, socket: Socket, userId: string, onPresence: () => void, sessionValid: () => Promise<boolean>): void {
  const mine = (call: { hasParticipant(id: string): boolean }) => call.hasParticipant(userId);

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
      return {
        state: stateMessage(call), rtpCapabilities: media.rtpCapabilities, producers: media.producersFor(userId).map(({ producerId, kind }) => ({ producerId, kind })),
        terminal: { id: call.terminalId, name: terminal?.label ?? '', hasDoor: Boolean(terminal?.doorId) },
      };
    },
    'call.decline': async ({ callId }) => { await ctx.calls.decline(callId, userId); },
    'call.hangup': async ({ callId }) => { await ctx.calls.hangup(callId, userId); },
    'door.open': async ({ callId }) => {
      if (!(await sessionValid())) throw new UnauthenticatedError('your session has ended');
      const call = ctx.calls.get(callId);
      const allowed = mine(call) || (await ctx.roles.can({ type: 'user', id: userId }, 'door.unlock', call.siteId));
      const terminal = await ctx.terminalInfo(call.terminalId);
      const actor = { type: 'user' as const, id: userId };
      if (!allowed) {
        await ctx.audit.append({ actor, action: 'door.open', outcome: 'denied', siteId: call.siteId, correlationId: call.id });
        throw new ForbiddenError('requires being in this call or permission door.unlock');
      }
      if (!terminal?.doorId) throw new InvalidError('the calling terminal has no door');
      const target = { type: 'door', id: terminal.doorId };
      const toTerminal = socket.nsp.server.of('/terminal').to(`terminal:${call.terminalId}`);
      // The visitor sees the real progress: opening now, then open or failed (never "open" for a failed command).
      toTerminal.emit('door.state', { callId, state: 'opening' });
      try {
        const result = await ctx.doors.unlock({ doorId: terminal.doorId, seconds: ctx.doorOpenSeconds, issuedBy: actor, correlationId: call.id });
        const ok = result.outcome === 'acknowledged';
        await ctx.audit.append({ actor, action: 'door.open', target, outcome: ok ? 'ok' : 'failed', siteId: call.siteId, correlationId: call.id, details: { commandId: result.commandId, result: result.outcome } });
        toTerminal.emit('door.state', { callId, state: ok ? 'open' : 'failed' });
        return { outcome: result.outcome };
      } catch (error) {
        await ctx.audit.append({ actor, action: 'door.open', target, outcome: 'failed', siteId: call.siteId, correlationId: call.id, details: { reason: (error as Error).message } });
        toTerminal.emit('door.state', { callId, state: 'failed' });
        throw error;
      }
    },
    'history.list': async ({ limit }) => ({ calls: await ctx.records.historyOf(userId, limit ?? 50) }),
    ...mediaHandlers(ctx, userId),
  }, ctx.logger, { maxPayloadBytes: ctx.maxEventBytes });
}
