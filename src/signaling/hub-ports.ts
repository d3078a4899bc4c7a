// The signaling side of the device hub's ports: content and wake-up on terminals,
// calls started by rules, notifications to desks. Rules reach terminals and
// desks only through these. The composition root builds them before the hub
// (signaling needs the calls that need the hub's doors) and binds them to
// signaling before either starts, so no rule ever finds them missing.
import type { TerminalContent, CallStarter, DeskNotifier, HubPorts, TerminalShowRequest, Localised } from '../device-hub/index.ts';
import type { Actor } from '../audit/index.ts';
import { ForbiddenError, NotFoundError, UnavailableError } from '../core/index.ts';
import type { SignalingServer } from './signaling-server.ts';

const both = (text: Localised | string): Localised => (typeof text === 'string' ? { de: text, en: text } : text);

export class SignalingHubPorts implements Required<HubPorts> {
  #signaling?: SignalingServer;

  /** Binds the ports to the signaling server; once, before the device hub starts. */
  bind(signaling: SignalingServer): void {
    if (this.#signaling) throw new Error('hub ports already bound');
    this.#signaling = signaling;
  }

  #bound(): SignalingServer {
    // Only a composition root that starts the hub before binding gets here: a wiring bug, named.
    if (!this.#signaling) throw new UnavailableError('signaling is not bound to the device hub');
    return this.#signaling;
  }

  readonly terminals: TerminalContent = {
    show: async (r: TerminalShowRequest) => {
      const delivered = this.#bound().showOnTerminal(r.terminalId, {
        ...(r.message ? { message: r.message } : {}),
        ...(r.content ? { content: { kind: 'url' as const, src: r.content } } : {}),
        durationS: r.durationSeconds ?? 15, priority: 1,
      });
      if (!delivered) throw new UnavailableError(`terminal ${r.terminalId} is not connected`);
    },
    wake: async (terminalId: string, _cause: Actor) => {
      if (!this.#bound().wakeTerminal(terminalId)) throw new UnavailableError(`terminal ${terminalId} is not connected`);
    },
  };

  readonly calls: CallStarter = {
    start: async (r) => {
      const signaling = this.#bound();
      const terminal = await signaling.ctx.credentials.get(r.terminalId);
      if (!terminal || terminal.kind !== 'terminal' || terminal.revokedAt !== null) throw new NotFoundError(`terminal ${r.terminalId} not found`);
      return signaling.startCallFor(terminal, r.target);
    },
    // A condition, not an action: unbound (never, once wired) it reads as idle rather than throwing mid-evaluation.
    isInCall: (terminalId: string) => this.#signaling?.ctx.calls.callOfTerminal(terminalId) !== undefined,
  };

  readonly desks: DeskNotifier = {
    notify: async (r) => {
      const signaling = this.#bound();
      const { roles } = signaling.ctx;
      // One user only if they hold a role on the notice's site: a rule of one site never reaches another's desks.
      if (r.userId && !(await roles.assignments({ type: 'user', id: r.userId })).some((a) => a.siteId === null || a.siteId === r.siteId)) {
        throw new ForbiddenError(`user ${r.userId} is not a user of site ${r.siteId}`);
      }
      const users = r.userId ? [r.userId] : r.role ? await roles.members(r.role, r.siteId) : [];
      if (users.length === 0 && !r.role && !r.userId) signaling.notifyDesks({ siteId: r.siteId }, both(r.text));
      for (const userId of users) signaling.notifyDesks({ userId }, both(r.text));
    },
  };
}
