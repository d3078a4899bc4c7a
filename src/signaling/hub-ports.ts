// The signaling side of the device hub's ports: content and wake-up on terminals,
// calls started by rules, notifications to desks. Rules reach terminals and
// desks only through these.
import type { TerminalContent, CallStarter, DeskNotifier, TerminalShowRequest, Localised } from '../device-hub/index.ts';
import type { Actor } from '../audit/index.ts';
import { ForbiddenError, NotFoundError, UnavailableError } from '../core/index.ts';
import type { SignalingServer } from './signaling-server.ts';

const both = (text: Localised | string): Localised => (typeof text === 'string' ? { de: text, en: text } : text);

export function hubPorts(signaling: SignalingServer): { terminals: TerminalContent; calls: CallStarter; desks: DeskNotifier } {
  const ctx = signaling.ctx;
  return {
    terminals: {
      show: async (r: TerminalShowRequest) => {
        const delivered = signaling.showOnTerminal(r.terminalId, {
          ...(r.message ? { message: r.message } : {}),
          ...(r.content ? { content: { kind: 'url' as const, src: r.content } } : {}),
          durationS: r.durationSeconds ?? 15, priority: 1,
        });
        if (!delivered) throw new UnavailableError(`terminal ${r.terminalId} is not connected`);
      },
      wake: async (terminalId: string, _cause: Actor) => {
        if (!signaling.wakeTerminal(terminalId)) throw new UnavailableError(`terminal ${terminalId} is not connected`);
      },
    },
    calls: {
      start: async (r) => {
        const terminal = await ctx.credentials.get(r.terminalId);
        if (!terminal || terminal.kind !== 'terminal' || terminal.revokedAt !== null) throw new NotFoundError(`terminal ${r.terminalId} not found`);
        return signaling.startCallFor(terminal, r.target);
      },
      isInCall: (terminalId: string) => ctx.calls.callOfTerminal(terminalId) !== undefined,
    },
    desks: {
      notify: async (r) => {
        // One user only if they hold a role on the notice's site: a rule of one site never reaches another's desks.
        if (r.userId && !(await ctx.roles.assignments({ type: 'user', id: r.userId })).some((a) => a.siteId === null || a.siteId === r.siteId)) {
          throw new ForbiddenError(`user ${r.userId} is not a user of site ${r.siteId}`);
        }
        const users = r.userId ? [r.userId] : r.role ? await ctx.roles.members(r.role, r.siteId) : [];
        if (users.length === 0 && !r.role && !r.userId) signaling.notifyDesks({ siteId: r.siteId }, both(r.text));
        for (const userId of users) signaling.notifyDesks({ userId }, both(r.text));
      },
    },
  };
}
